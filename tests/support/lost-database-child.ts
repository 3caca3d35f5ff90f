// Run by app/lib/lost-database.pg.test.ts in its own process: transactions on PostgreSQL through a TCP
// proxy that is cut mid-transaction, with the server's guard installed. Prints what the guard did.
// Usage: tsx tests/support/lost-database-child.ts <postgres url>
import { createServer, connect, type Socket } from "node:net";
import postgres from "postgres";
import pino from "pino";
import { guardLostDatabase } from "../../app/lib/lost-database.server";

const target = new URL(process.argv[2]);
const log = pino({ base: undefined }, process.stdout);
guardLostDatabase(log, () => {
  process.stdout.write("GRACEFUL SHUTDOWN\n");
  process.exit(3);
});

const sockets = new Set<Socket>();
const proxy = createServer((client) => {
  const upstream = connect(Number(target.port || 5432), target.hostname);
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.on("error", () => s.destroy());
  }
  client.pipe(upstream).pipe(client);
});
await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const via = new URL(target);
via.host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
const sql = postgres(via.toString(), { max: 4, onnotice: () => {} });

let stop = false;
const worker = async (k: number) => {
  while (!stop) {
    await sql
      .begin(async (tx) => {
        for (let j = 0; j < 50 && !stop; j++) {
          await tx`select pg_advisory_xact_lock(${k * 1000 + j})`;
          await tx.savepoint((sp) => sp`select ${j}::int`);
        }
      })
      .catch(() => new Promise((r) => setTimeout(r, 20)));
  }
};
const workers = [1, 2, 3, 4, 5, 6].map(worker);
setTimeout(() => {
  for (const s of sockets) s.destroy();
  proxy.close();
}, 500);
setTimeout(() => (stop = true), 4000);
await Promise.all(workers);
process.stdout.write("NO DRIVER ERROR\n");
process.exit(0);

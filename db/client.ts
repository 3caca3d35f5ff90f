// Opens the database: PGlite (Postgres in WASM, stored under DATA_DIR) when no DATABASE_URL is set,
// postgres.js with a pool otherwise. Both hand back one `Db` type, so no other code knows which.
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { mkdirSync } from "node:fs";
import postgres from "postgres";
import * as schema from "./schema";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type Database = {
  db: Db;
  driver: "pglite" | "postgres";
  close(): Promise<void>;
};

export type DatabaseOptions = {
  databaseUrl?: string;
  /** Directory for PGlite files; `null` keeps the database in memory (tests). */
  dataDir?: string | null;
  poolMax?: number;
  /**
   * postgres.js only (default true): send every statement as a prepared statement. Off for a
   * connection pooler in transaction mode, which cannot keep a statement between transactions.
   */
  preparedStatements?: boolean;
};

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const prepare = options.preparedStatements ?? true;
    const client = postgres(options.databaseUrl, {
      ...postgresOptions({ prepare }),
      max: options.poolMax ?? 10,
    });
    const db = drizzleOverPostgres(client, { prepare });
    return { db, driver: "postgres", close: () => client.end({ timeout: 5 }) };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const client = options.dataDir ? await PGlite.create(options.dataDir) : await PGlite.create();
  await client.exec("SET TIME ZONE 'UTC'");
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  return { db, driver: "pglite", close: () => client.close() };
}

/** Rows from `db.execute`, whose result shape differs between the two drivers. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** The postgres.js options every connection of the app uses (benchmarks add their own hooks). */
export function postgresOptions(options: { prepare: boolean }) {
  return {
    onnotice: () => {}, // "relation already exists, skipping" notices are noise
    prepare: options.prepare,
    connection: {
      application_name: "mpesa-console",
      TimeZone: "UTC",
      // Prepared, but planned for each execution's own values, exactly as an unnamed statement is:
      // no query changes plan (a generic plan could not use a partial index whose predicate names
      // a parameter's value).
      ...(options.prepare ? { plan_cache_mode: "force_custom_plan" } : {}),
    },
  };
}

export function drizzleOverPostgres(client: postgres.Sql, options: { prepare: boolean }): Db {
  return drizzlePostgres({
    client: options.prepare ? preparing(client) : client,
    schema,
  }) as unknown as Db;
}

/**
 * drizzle sends every statement it has not been given a name for as `prepare: false`, and
 * postgres.js then asks the server to describe such a statement before it sends the values: two
 * round trips, and a parse each time. Prepared (postgres.js keeps them per connection, by text), a
 * statement seen before is one round trip with no parse. This hands drizzle the client (and each
 * transaction's and savepoint's) with every statement prepared.
 */
function preparing<T extends postgres.Sql | postgres.TransactionSql>(sql: T): T {
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === "unsafe")
        return (query: string, params?: unknown[], queryOptions?: { prepare?: boolean }) =>
          target.unsafe(query, params as never, { ...queryOptions, prepare: true });
      if (key === "begin" || key === "savepoint")
        return (...args: unknown[]) => {
          const work = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const open = Reflect.get(target, key, receiver) as (...a: unknown[]) => unknown;
          return open.call(target, ...args, (tx: postgres.TransactionSql) => work(preparing(tx)));
        };
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

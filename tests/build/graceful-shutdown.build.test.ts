// The BUILT server told to stop (SIGTERM, as a deploy does) while Daraja is still sending a callback:
// the request in flight is read to its end, its body stored and answered 200 before the server
// closes its database and exits. Daraja does not send a callback again, so one cut off here would be
// money known only to the poller.
import { request } from "node:http";
import postgres from "postgres";
import { startSuiteServer, waitFor, type BuiltServer } from "./support/server";
import { newReceipt, pendingPayment, successCallbackFor } from "./support/flows";

let s: BuiltServer;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
beforeAll(async () => {
  s = await startSuiteServer({ label: "graceful-shutdown" });
});
afterAll(async () => s?.stop());

it("answers and stores a callback whose body is still arriving when the server is told to stop", async () => {
  const payment = await pendingPayment(s, 160);
  const body = Buffer.from(successCallbackFor(payment, newReceipt()));
  const url = new URL(`${s.baseUrl}/hooks/daraja/stk/${s.callbackToken}`);
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: {
          "Content-Type": "application/json;charset=UTF-8",
          "Content-Length": String(body.length),
          BusinessShortCode: "174379",
        },
      },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    // Half the body now: the request is in flight (its headers and half its body are with the
    // server) when the signal comes; the rest a second later, when the server is shutting down (the
    // old code had closed its database and exited by then: the socket hung up).
    req.write(body.subarray(0, body.length >> 1));
    setTimeout(() => {
      process.kill(s.pid, "SIGTERM");
      setTimeout(() => req.end(body.subarray(body.length >> 1)), 1_000);
    }, 300);
  });

  const res = await answer;
  expect(res.status, res.text).toBe(200);
  // The server then finishes its shutdown and exits by itself.
  await waitFor(async () => !alive(s.pid), "the server to exit", 30_000);
  const checkoutRequestId = payment.attempts[0].checkoutRequestId!;
  const sql = postgres(s.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ n: string }[]>`select count(*)::text as n from raw_callbacks
      where checkout_request_id = ${checkoutRequestId}`;
    expect(rows[0].n).toBe("1");
    // And applied before the exit: the stored callbacks are drained after the requests are answered.
    const [paid] = await sql<{ status: string }[]>`select status from payments where id = ${payment.id}`;
    expect(paid.status).toBe("paid");
  } finally {
    await sql.end();
  }
});

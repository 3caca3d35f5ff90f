// Bodies far larger than a console form or a payment request, sent to the BUILT server over HTTP: the
// sender gets a 413 with the JSON error (the rest of its body read and dropped), not a reset
// connection, and the process does not buffer what it refuses.
import { startSuiteServer, type BuiltServer } from "./support/server";
import { requestPayment, signInAgent, type Agent } from "./support/flows";

let s: BuiltServer;
let agent: Agent;
beforeAll(async () => {
  s = await startSuiteServer({ label: "body-limits" });
  agent = await signInAgent(s);
});
afterAll(async () => s?.stop());

it("answers a 2 MB console form with 413", async () => {
  const payment = await requestPayment(s, { phone: "254708000001", amount: 131 });
  const answer = await agent.act(`/payments/${payment.id}`, "routes/_console.payments.$paymentId", {
    intent: "note",
    note: "x".repeat(2 * 1024 * 1024),
  });
  expect(answer.status).toBe(413);
  expect(answer.body).toMatchObject({ error: { code: "too_large" } });
  // A normal note still works.
  const ok = await agent.act(`/payments/${payment.id}`, "routes/_console.payments.$paymentId", {
    intent: "note",
    note: "customer called back",
  });
  expect(ok.status).toBe(200);
});

it("answers a 1 MB JSON payment request with 413", async () => {
  const res = await s.api("/api/payments", {
    method: "POST",
    body: JSON.stringify({
      orderRef: "BIG-1",
      amount: 10,
      phone: "254708000001",
      description: "x".repeat(1 << 20),
    }),
  });
  expect(res.status).toBe(413);
  expect(res.body).toMatchObject({ error: { code: "too_large" } });
});

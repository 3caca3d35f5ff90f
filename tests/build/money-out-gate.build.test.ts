// A reversal result about a reversal that never left (still waiting for its approver), forged or
// replayed to the BUILT server's reversal hook: answered 200 and kept in the callback log as invalid
// for finance to read, while the payment stays paid and the reversal waits for its approver; the
// second finance user's approval then sends it, and the payment is refunded once.
import postgres from "postgres";
import { randomBytes } from "node:crypto";
import { startSuiteServer, waitFor, type BuiltServer } from "./support/server";
import { paidWithReceipt, requestPayment, signInAgent } from "./support/flows";

let s: BuiltServer;
beforeAll(async () => {
  // Simulator mode: the simulator's test operator is the initiator and reversals are allowed.
  s = await startSuiteServer({ label: "money-out-gate" });
});
afterAll(async () => s?.stop());

const PAYMENT_PAGE = "routes/_console.payments.$paymentId";
const CALLBACK_LOG = "routes/_console.callbacks._index";

type PaymentPage = {
  payment: { status: string };
  moneyOut: { requests: { id: string; kind: string; state: string; result: string | null }[] };
};
type CallbackLog = { rows: { kind: string; outcome: string; outcomeDetail: string | null }[] };

/**
 * Our OriginatorConversationID for the request: no page shows it (it is what a forger would have
 * to guess or replay), so it is read from the database as an attacker who had it would know it.
 */
async function originatorConversationId(requestId: string): Promise<string> {
  const sql = postgres(s.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ id: string }[]>`select originator_conversation_id as id
      from daraja_requests where id = ${requestId}`;
    return row.id;
  } finally {
    await sql.end();
  }
}

/** M-Pesa's success result for a reversal, as its Result URL receives it. */
function reversalSuccess(input: { originator: string; original: string; amount: number }) {
  return JSON.stringify({
    Result: {
      ResultType: 0,
      ResultCode: 0,
      ResultDesc: "The service request is processed successfully.",
      OriginatorConversationID: input.originator,
      ConversationID: "AG_20261203_0000000000000001",
      TransactionID: `RVX${randomBytes(4).toString("hex").toUpperCase().slice(0, 7)}`,
      ResultParameters: {
        ResultParameter: [
          { Key: "Amount", Value: input.amount },
          { Key: "OriginalTransactionID", Value: input.original },
          { Key: "TransCompletedTime", Value: 20261203120000 },
        ],
      },
    },
  });
}

it("a result naming a reversal still awaiting approval is logged invalid and refunds nothing", async () => {
  // Paid through the simulator's test number that pays, so M-Pesa knows the receipt to reverse.
  const paid = await paidWithReceipt(
    s,
    (await requestPayment(s, { phone: "254708000001", amount: 240 })).id,
  );
  const pagePath = `/payments/${paid.id}`;

  // Finance asks for the reversal with the payment page's form.
  const finance = await signInAgent(s, "finance@demo.test", "demo-finance-pass");
  const requested = await finance.act(pagePath, PAYMENT_PAGE, {
    intent: "reversal_request",
    reason: "Goods returned",
  });
  expect(requested, JSON.stringify(requested.body)).toMatchObject({
    status: 200,
    body: { ok: true },
  });
  const before = await finance.load<PaymentPage>(pagePath, PAYMENT_PAGE);
  const reversal = before.moneyOut.requests.find((r) => r.kind === "reversal")!;
  expect(reversal).toMatchObject({ state: "awaiting_approval" });

  // A success result naming it reaches the hook, though nothing was sent to M-Pesa.
  const forged = reversalSuccess({
    originator: await originatorConversationId(reversal.id),
    original: paid.receipt!,
    amount: 240,
  });
  const hook = await fetch(`${s.baseUrl}/hooks/daraja/reversal/result/${s.callbackToken}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: forged,
  });
  expect(hook.status).toBe(200);
  expect(await hook.json()).toEqual({ ResultCode: 0, ResultDesc: "Accepted" });

  // Finance reads it in the callback log, once the applier has been through it: invalid, and why.
  const reversalReceipt = (JSON.parse(forged) as { Result: { TransactionID: string } }).Result
    .TransactionID;
  const logged = await waitFor(async () => {
    const log = await finance.load<CallbackLog>(`/callbacks?q=${reversalReceipt}`,
      CALLBACK_LOG,
    );
    return log.rows.length === 1 && log.rows[0].outcome !== "received" ? log.rows[0] : null;
  }, "the forged reversal result to be processed");
  expect(logged).toMatchObject({ kind: "reversal_result", outcome: "invalid" });
  expect(logged.outcomeDetail).toContain("never sent (it is awaiting approval)");

  // The payment page: still paid, the reversal still waiting for its approver.
  const after = await finance.load<PaymentPage>(pagePath, PAYMENT_PAGE);
  expect(after.payment.status).toBe("paid");
  expect(after.moneyOut.requests).toEqual([
    expect.objectContaining({ id: reversal.id, state: "awaiting_approval", result: null }),
  ]);

  // A second finance user approves: the real reversal goes out, and its result refunds the payment.
  const approver = await signInAgent(s, "finance2@demo.test", "demo-finance-pass");
  const approved = await approver.act(pagePath, PAYMENT_PAGE, {
    intent: "reversal_approve",
    requestId: reversal.id,
  });
  expect(approved, JSON.stringify(approved.body)).toMatchObject({
    status: 200,
    body: { ok: true },
  });
  const refunded = await waitFor(async () => {
    const page = await approver.load<PaymentPage>(pagePath, PAYMENT_PAGE);
    return page.payment.status === "refunded" ? page : null;
  }, "the approved reversal to refund the payment");
  expect(refunded.moneyOut.requests).toEqual([
    expect.objectContaining({ id: reversal.id, state: "completed", result: "Reversed (KES 240)" }),
  ]);
});

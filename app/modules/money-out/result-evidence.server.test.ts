// What a reversal or Transaction Status result must show before money is booked on it: the request it
// names (by our id or by Daraja's), the receipt we asked about, the number we prompted; and no second
// reversal while the first may still complete. Runs on PGlite and on PostgreSQL.
import { and, eq } from "drizzle-orm";
import { darajaRequests, exceptions, payments, rawCallbacks } from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { moneyOutStaff, postReversalResult } from "../../../tests/support/money-out";
import { paidPayment, receiptPendingPayment } from "../../../tests/support/reconciliation";
import type { Actor } from "../auth/staff-audit.server";
import { DARAJA_ACTOR } from "../ledger/events.server";
import { applyStatusEvidence } from "../ledger/money-out.server";
import { getPaymentView } from "../payments/queries.server";
import { approveReversal, requestReversal } from "./requests.server";
import { getMoneyOutView } from "./view.server";

type StaffActor = Actor & { kind: "user" };
let app: TestApp;
let finance: StaffActor;
let second: StaffActor;
let support: StaffActor;
let aheadMs = 0;
const RESULT_WAIT_MS = 1800_000;

beforeAll(async () => {
  app = await startTestApp({
    env: { MPESA_RESULT_WAIT_S: String(RESULT_WAIT_MS / 1000) },
    now: () => new Date(Date.now() + aheadMs),
  });
  ({ finance, second, support } = await moneyOutStaff(app));
});
afterAll(async () => app?.close());
beforeEach(() => {
  aheadMs = 0;
});

const requestRow = async (id: string) =>
  (await app.ctx.db.select().from(darajaRequests).where(eq(darajaRequests.id, id)))[0]!;
const statusOf = async (paymentId: string) => (await getPaymentView(app.ctx.db, paymentId))!.status;
const openCases = (paymentId: string) =>
  app.ctx.db
    .select()
    .from(exceptions)
    .where(and(eq(exceptions.paymentId, paymentId), eq(exceptions.status, "open")));
/** The raw row of the newest reversal result, once the applier has decided it. */
const decidedResult = () =>
  waitFor(
    async () => {
      const rows = await app.ctx.db
        .select()
        .from(rawCallbacks)
        .where(eq(rawCallbacks.kind, "reversal_result"));
      const last = rows.sort((a, b) => b.id - a.id)[0];
      return last && last.outcome !== "received" ? last : null;
    },
    8000,
    "the reversal result decided",
  );

/** A paid payment whose approved reversal M-Pesa accepted and has not answered yet. */
async function sentReversal(amount: number) {
  const payment = await paidPayment(app, support, { amount });
  await app.control("next-initiator-result", { api: "reversal", outcome: "drop" });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  await approveReversal(app.ctx, second, payment.id, asked.requestId!);
  const request = await waitFor(
    async () => {
      const r = await requestRow(asked.requestId!);
      return r.state === "sent" ? r : null;
    },
    8000,
    "reversal sent",
  );
  return { payment, request };
}

it("finds the reversal by Daraja's ConversationID when the result carries Daraja's own OriginatorConversationID", async () => {
  const { payment, request } = await sentReversal(300);
  expect(request.conversationId).toBeTruthy();
  const res = await postReversalResult(app, request.id, {
    reversalReceipt: "RVX9000001",
    amount: 300,
    original: payment.receipt!,
    originatorConversationId: "29115-34620561-1",
  });
  expect(res.status).toBe(200);
  expect(await decidedResult()).toMatchObject({ outcome: "applied", paymentId: payment.id });
  expect((await requestRow(request.id)).state).toBe("completed");
  expect(await statusOf(payment.id)).toBe("refunded");
});

it("changes nothing when our id names one reversal and Daraja's ConversationID another", async () => {
  const a = await sentReversal(301);
  const b = await sentReversal(302);
  await postReversalResult(app, a.request.id, {
    reversalReceipt: "RVX9000002",
    amount: 301,
    original: a.payment.receipt!,
    conversationId: b.request.conversationId!,
  });
  const raw = await decidedResult();
  expect(raw.outcome).toBe("invalid");
  expect(raw.outcomeDetail).toMatch(/name 2 different requests/);
  expect((await requestRow(a.request.id)).state).toBe("sent");
  expect((await requestRow(b.request.id)).state).toBe("sent");
  expect(await statusOf(a.payment.id)).toBe("paid");
  expect(await statusOf(b.payment.id)).toBe("paid");
});

it("refunds nothing on a success that names another original transaction, opens a case, and the page does not say reversed", async () => {
  const { payment, request } = await sentReversal(320);
  await postReversalResult(app, request.id, {
    reversalReceipt: "RVX7000001",
    amount: 320,
    original: "ZZZ9999999",
  });
  expect(await decidedResult()).toMatchObject({ outcome: "conflict" });
  expect(await statusOf(payment.id)).toBe("paid");
  const [kase] = await openCases(payment.id);
  expect(kase).toMatchObject({ type: "query_disagrees", amountAtStakeKes: 320 });
  expect(kase!.summary).toMatch(/original transaction ZZZ9999999/);
  const view = await getMoneyOutView(app.ctx, payment.id, {
    userId: finance.userId,
    role: "finance",
  });
  const shown = view!.requests.find((r) => r.id === request.id)!;
  expect(shown.result).not.toMatch(/^Reversed/);
  expect(shown.result).toMatch(/incomplete or disagrees.*open case/);
});

it("asks for no second reversal while one that timed out in M-Pesa's queue may still complete", async () => {
  const payment = await paidPayment(app, support, { amount: 310 });
  await app.control("next-initiator-result", { api: "reversal", outcome: "timeout" });
  const first = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  await approveReversal(app.ctx, second, payment.id, first.requestId!);
  await waitFor(
    async () => ((await requestRow(first.requestId!)).state === "timed_out" ? true : null),
    8000,
    "timed out",
  );
  await expect(
    requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned again" }),
  ).rejects.toMatchObject({
    code: "reversal_may_complete",
    status: 409,
    message: expect.stringMatching(/timed out in M-Pesa's queue.*after .* EAT/),
  });
  const view = await getMoneyOutView(app.ctx, payment.id, {
    userId: finance.userId,
    role: "finance",
  });
  expect(view!.reversalRefusal).toMatch(/may still complete it/);
  // Once the wait is over, a new reversal may be asked for (four eyes again).
  aheadMs = RESULT_WAIT_MS + 1000;
  await expect(
    requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned again" }),
  ).resolves.toMatchObject({ ok: true });
});

it("refuses at approval a reversal asked before an earlier one of the receipt failed to send", async () => {
  const { payment, request } = await sentReversal(330);
  // Finance recorded no answer long ago (not live), a second was asked; then the first is found to
  // have failed to send, i.e. M-Pesa may have taken it: the second waits.
  aheadMs = RESULT_WAIT_MS + 1000;
  await app.ctx.db
    .update(darajaRequests)
    .set({ state: "unanswered", updatedAt: app.ctx.now() })
    .where(eq(darajaRequests.id, request.id));
  const again = await requestReversal(app.ctx, finance, payment.id, { reason: "Try once more" });
  await app.ctx.db
    .update(darajaRequests)
    .set({ state: "send_failed", updatedAt: app.ctx.now() })
    .where(eq(darajaRequests.id, request.id));
  await expect(
    approveReversal(app.ctx, second, payment.id, again.requestId!),
  ).rejects.toMatchObject({
    code: "not_eligible",
    message: expect.stringMatching(/got no clear answer when it was sent/),
  });
  expect((await requestRow(again.requestId!)).state).toBe("awaiting_approval");
});

it("attaches no receipt to a payment waiting for one when M-Pesa names another payer", async () => {
  const payment = await receiptPendingPayment(app, support, { amount: 450 });
  const apply = (debitParty: string | null, receipt: string) =>
    app.ctx.db.transaction((tx) =>
      applyStatusEvidence(tx, DARAJA_ACTOR, {
        paymentId: payment.id,
        rawCallbackId: null,
        now: app.ctx.now(),
        evidence: {
          resultCode: "0",
          resultDesc: "The service request is processed successfully.",
          receipt,
          amountKes: 450,
          transactionStatus: "Completed",
          debitParty,
          finalisedAt: null,
        },
      }),
    );
  expect(await apply("254799000111 - SOMEONE ELSE", "QWE1234567")).toMatchObject({
    outcome: "conflict",
  });
  expect(await apply("2547****0111 - MASKED", "QWE1234568")).toMatchObject({
    outcome: "conflict",
  });
  const [row] = await app.ctx.db.select().from(payments).where(eq(payments.id, payment.id));
  expect(row).toMatchObject({ status: "paid", receipt: null, receiptPending: true });
  const cases = await openCases(payment.id);
  expect(cases.map((c) => c.summary)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/QWE1234567 .*from another number; it was not attached/),
      expect.stringMatching(/QWE1234568 .*payer number masked or absent/),
    ]),
  );
  // The number we prompted: attached.
  expect(await apply(`${row!.phone} - CUSTOMER`, "QWE1234569")).toMatchObject({
    outcome: "applied",
  });
  expect(await getPaymentView(app.ctx.db, payment.id)).toMatchObject({
    receipt: "QWE1234569",
    receiptPending: false,
  });
});

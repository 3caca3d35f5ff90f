// Transaction Status and reversals end to end against the simulator: request → (approval) → Daraja →
// result on the hook → raw log → queue → the ledger's gate. Runs on PGlite and on PostgreSQL.
import { and, eq } from "drizzle-orm";
import {
  darajaRequests,
  exceptions,
  paymentEvents,
  rawCallbacks,
  receipts,
  staffAudit,
} from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { flows } from "../../../tests/support/exception-flows";
import { moneyOutStaff, postReversalResult } from "../../../tests/support/money-out";
import { paidPayment, receiptPendingPayment } from "../../../tests/support/reconciliation";
import { parseResolveInput } from "../exceptions/resolve-input";
import { resolveException } from "../exceptions/resolve.server";
import type { Actor } from "../auth/staff-audit.server";
import { getPaymentView } from "../payments/queries.server";
import { openException } from "../ledger/cases.server";
import { STATEMENT_ACTOR } from "../reconciliation/match.server";
import {
  approveReversal,
  moneyOutPayment,
  rejectReversal,
  requestReversal,
  requestTransactionStatus,
} from "./requests.server";
import { processInitiatorResult } from "./results.server";
import { setReversalCap } from "./settings.server";

let app: TestApp;
let finance: Actor & { kind: "user" };
let second: Actor & { kind: "user" };
let support: Actor;

/** How far the app's clock is ahead of the real one (M-Pesa's result wait, MPESA_RESULT_WAIT_S). */
let aheadMs = 0;
const RESULT_WAIT_MS = 3600_000;

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

const view = async (id: string) => (await getPaymentView(app.ctx.db, id))!;
const eventsOf = (paymentId: string) =>
  app.ctx.db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, paymentId));
const requestRow = async (id: string) =>
  (await app.ctx.db.select().from(darajaRequests).where(eq(darajaRequests.id, id)))[0];
/** Waits until the request's result (or timeout) has been applied through the queue. */
async function settled(requestId: string, states = ["completed", "failed", "timed_out"]) {
  const row = await waitFor(
    async () => {
      const r = await requestRow(requestId);
      return r && states.includes(r.state) ? r : null;
    },
    8000,
    `request ${requestId} settled`,
  );
  await app.ctx.callbackQueue.idle();
  return row;
}
/** What the simulator received on its initiator APIs (GET /__sim/initiator). */
async function simRequestsFor(api: string, receipt: string | null) {
  const res = await fetch(`${app.simulatorUrl}/__sim/initiator`);
  const body = (await res.json()) as { requests: { api: string; transactionId: string }[] };
  return body.requests.filter((r) => r.api === api && r.transactionId === receipt);
}
/** The receipt the simulator gave the customer (their SMS): set once the prompt is answered. */
function simReceiptOf(checkoutRequestId: string): Promise<string> {
  return waitFor(
    async () => {
      const state = await app.control("state");
      const prompt = state.prompts.find(
        (p: { checkoutRequestId: string }) => p.checkoutRequestId === checkoutRequestId,
      );
      return (prompt?.receipt as string | null | undefined) ?? null;
    },
    8000,
    `the simulator's receipt for ${checkoutRequestId}`,
  );
}

/** A reversal requested, approved, and timed out in M-Pesa's queue. */
async function timedOutReversal(paymentId: string) {
  await app.control("next-initiator-result", { api: "reversal", outcome: "timeout" });
  const asked = await requestReversal(app.ctx, finance, paymentId, { reason: "Goods returned" });
  await approveReversal(app.ctx, second, paymentId, asked.requestId!);
  expect((await settled(asked.requestId!)).state).toBe("timed_out");
  return asked;
}
const rawOf = async (requestId: string) =>
  (
    await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.id, (await requestRow(requestId)).resultRawCallbackId!))
  )[0];

describe("Transaction Status", () => {
  it("supplies the receipt of a payment the query said was paid", async () => {
    const payment = await receiptPendingPayment(app, support);
    expect(payment).toMatchObject({ status: "paid", receipt: null, receiptPending: true });
    const receipt = await simReceiptOf(payment.attempts[0].checkoutRequestId!);
    const asked = await requestTransactionStatus(app.ctx, finance, payment.id, {
      receipt: receipt.toLowerCase(),
    });
    expect(asked.ok).toBe(true);
    const request = await settled(asked.requestId!);
    expect(request).toMatchObject({ state: "completed", resultCode: "0", receipt });
    expect(await view(payment.id)).toMatchObject({
      status: "paid",
      receipt,
      receiptPending: false,
    });
    const [raw] = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.id, request.resultRawCallbackId!));
    expect(raw).toMatchObject({ kind: "status_result", outcome: "applied", paymentId: payment.id });
    const types = (await eventsOf(payment.id)).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["status_request", "status_result", "receipt_attached"]),
    );
    const [audit] = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(
        and(
          eq(staffAudit.action, "payment.transaction_status"),
          eq(staffAudit.entityId, payment.id),
        ),
      );
    expect(audit.actorUserId).toBe(finance.userId);
  });

  it("moves no money on an answer without an Amount", async () => {
    const payment = await receiptPendingPayment(app, support);
    const receipt = await simReceiptOf(payment.attempts[0].checkoutRequestId!);
    await app.control("next-initiator-result", { api: "status", outcome: "incomplete" });
    const asked = await requestTransactionStatus(app.ctx, finance, payment.id, { receipt });
    await settled(asked.requestId!);
    expect(await view(payment.id)).toMatchObject({
      status: "paid",
      receipt: null,
      receiptPending: true,
    });
    const notes = (await eventsOf(payment.id)).filter((e) => e.type === "status_result");
    expect(notes.at(-1)?.summary).toMatch(
      /lacks a receipt, an amount or a status; nothing changes/,
    );
  });

  it("may be asked about a paid payment with its receipt while a case about it is open (disputed)", async () => {
    const payment = await paidPayment(app, support, { amount: 130 });
    await openException(app.ctx.db, STATEMENT_ACTOR, {
      type: "time_mismatch",
      dedupeKey: `time_mismatch:test:${payment.id}`,
      paymentId: payment.id,
      receipt: payment.receipt,
      summary: "The statement's time disagrees",
    });
    expect(await moneyOutPayment(app.ctx.db, payment.id)).toMatchObject({
      openCases: 1,
      amountKes: 130,
    });
    const asked = await requestTransactionStatus(app.ctx, finance, payment.id, {
      receipt: payment.receipt!,
    });
    expect(asked.ok).toBe(true);
    await settled(asked.requestId!);
  });

  it("is refused for a paid payment with its receipt and no case, and needs a receipt to look up", async () => {
    const paid = await paidPayment(app, support);
    await expect(requestTransactionStatus(app.ctx, finance, paid.id, {})).rejects.toMatchObject({
      code: "not_eligible",
    });
    const pending = await receiptPendingPayment(app, support);
    await expect(
      requestTransactionStatus(app.ctx, finance, pending.id, { receipt: "nope" }),
    ).rejects.toMatchObject({ field: "receipt" });
  });
});

describe("Reversal of money accepted at another amount", () => {
  it("sends back, and weighs against the cap, the amount that came, not the one asked for", async () => {
    const { payment, exception } = await flows(app, support).wrongAmount(1_500);
    await resolveException(
      app.ctx,
      finance,
      exception.id,
      parseResolveInput({ intent: "accept_paid", note: "Customer paid short; we keep it" }),
    );
    const [received] = await app.ctx.db
      .select()
      .from(receipts)
      .where(eq(receipts.receipt, exception.receipt!));
    expect(received.amountKes).not.toBe(1_500);
    expect((await view(payment.id)).status).toBe("paid");

    // A cap between the two amounts: what came is under it, what was asked for is not.
    const admin = actorFor(await makeUser(app.ctx, "admin"));
    await setReversalCap(app.ctx.db, admin, { capKes: received.amountKes });
    try {
      const asked = await requestReversal(app.ctx, finance, payment.id, {
        reason: "Order cancelled",
      });
      expect((await requestRow(asked.requestId!)).amountKes).toBe(received.amountKes);
    } finally {
      await setReversalCap(app.ctx.db, admin, { capKes: 10_000 });
    }
  });
});

describe("Reversal with four eyes", () => {
  it("leaves only after a second finance user approves, then refunds the payment; a replayed result is a no-op", async () => {
    const payment = await paidPayment(app, support, { amount: 120 });
    const asked = await requestReversal(app.ctx, finance, payment.id, {
      reason: "Customer returned the goods",
    });
    expect((await requestRow(asked.requestId!)).state).toBe("awaiting_approval");
    expect(await simRequestsFor("reversal", payment.receipt)).toEqual([]);
    await expect(
      approveReversal(app.ctx, finance, payment.id, asked.requestId!),
    ).rejects.toMatchObject({ code: "four_eyes", status: 403 });
    await expect(
      requestReversal(app.ctx, second, payment.id, { reason: "again please" }),
    ).rejects.toMatchObject({ code: "reversal_exists" });

    const approved = await approveReversal(app.ctx, second, payment.id, asked.requestId!);
    expect(approved.ok).toBe(true);
    const request = await settled(asked.requestId!);
    expect(request).toMatchObject({ state: "completed", approvedByUserId: second.userId });
    const after = await view(payment.id);
    expect(after.status).toBe("refunded");
    const [receiptRow] = await app.ctx.db
      .select()
      .from(receipts)
      .where(eq(receipts.receipt, payment.receipt!));
    expect(receiptRow.reversedByReceipt).toMatch(/^[A-Z0-9]{10}$/);

    const audit = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(eq(staffAudit.entityId, payment.id));
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["reversal.request", "reversal.approve"]),
    );
    const before = await eventsOf(payment.id);
    expect(before.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        "reversal_requested",
        "reversal_approved",
        "reversal_request",
        "reversal",
        "status_changed",
      ]),
    );

    // Replays: the stored row applied again, and the same body delivered again to the hook.
    const [raw] = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.id, request.resultRawCallbackId!));
    expect(await processInitiatorResult(app.ctx, raw)).toBe("applied");
    const again = await fetch(`${app.appUrl}/hooks/daraja/reversal/result/test-callback-token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: Buffer.from(raw.body),
    });
    expect(again.status).toBe(200);
    await app.ctx.callbackQueue.idle();
    const replayed = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(
        and(
          eq(rawCallbacks.kind, "reversal_result"),
          eq(rawCallbacks.conversationId, raw.conversationId!),
        ),
      );
    expect(replayed.map((r) => r.outcome).sort()).toEqual(["applied", "duplicate"]);
    expect(await eventsOf(payment.id)).toHaveLength(before.length);
    expect((await view(payment.id)).status).toBe("refunded");
  });

  it("records why M-Pesa refused (R000001, already reversed), leaves the payment paid and opens a case", async () => {
    const payment = await paidPayment(app, support, { amount: 130 });
    await app.control("next-initiator-result", { api: "reversal", outcome: "already_reversed" });
    const asked = await requestReversal(app.ctx, finance, payment.id, {
      reason: "Duplicate order",
    });
    await approveReversal(app.ctx, second, payment.id, asked.requestId!);
    const request = await settled(asked.requestId!);
    expect(request).toMatchObject({ state: "failed", resultCode: "R000001" });
    expect((await view(payment.id)).status).toBe("paid");
    const failed = (await eventsOf(payment.id)).find((e) => e.type === "reversal_failed");
    expect(failed?.summary).toMatch(/already reversed \(ResultCode R000001/);
    // Our books hold no reversal of the receipt: the money may have gone back all the same.
    const cases = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.paymentId, payment.id));
    expect(cases).toEqual([
      expect.objectContaining({ type: "query_disagrees", status: "open", amountAtStakeKes: 130 }),
    ]);
    expect(cases[0]!.summary).toMatch(/no reversal of it is on record.*may have gone through/i);
    // A failed request frees the receipt for a new one.
    await expect(
      requestReversal(app.ctx, finance, payment.id, { reason: "Try once more" }),
    ).resolves.toMatchObject({ ok: true });
  });

  it("records the late success of a reversal that timed out while the one asked after it is live", async () => {
    const payment = await paidPayment(app, support, { amount: 140 });
    const first = await timedOutReversal(payment.id);
    // M-Pesa may still complete the first: a second is refused until the result wait is over.
    await expect(
      requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" }),
    ).rejects.toMatchObject({ code: "reversal_may_complete", status: 409 });
    aheadMs = RESULT_WAIT_MS + 1000;
    // Asked again, as the timeline says; M-Pesa does not answer this one yet.
    await app.control("next-initiator-result", { api: "reversal", outcome: "drop" });
    const again = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
    await approveReversal(app.ctx, second, payment.id, again.requestId!);
    await settled(again.requestId!, ["sent"]);
    // The first one's success arrives after all: the money moved, so it is recorded.
    const late = await postReversalResult(app, first.requestId!, {
      reversalReceipt: "TLR1ABCD23",
      amount: 140,
      original: payment.receipt!,
    });
    expect(late.status).toBe(200);
    await settled(first.requestId!, ["completed"]);
    expect((await view(payment.id)).status).toBe("refunded");
    const firstRaw = await rawOf(first.requestId!);
    expect(firstRaw.outcome).toBe("applied");
    // M-Pesa misbehaves and says the second one went through too, by another reversal receipt: it is
    // recorded and put in front of a person, and the payment is not refunded twice.
    await postReversalResult(app, again.requestId!, {
      reversalReceipt: "TLR2ABCD34",
      amount: 140,
      original: payment.receipt!,
    });
    await settled(again.requestId!, ["completed"]);
    expect((await rawOf(again.requestId!)).outcome).toBe("conflict");
    const cases = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.paymentId, payment.id));
    expect(cases.map((c) => c.summary)).toEqual([
      expect.stringMatching(/reversed again, by TLR2ABCD34.*paid back twice/),
    ]);
    const refunds = (await eventsOf(payment.id)).filter(
      (e) => e.type === "status_changed" && /refunded/.test(e.summary),
    );
    expect(refunds).toHaveLength(1);
    expect((await view(payment.id)).status).toBe("refunded");
  });

  it("refuses to send or ask for another reversal once one completed, even if its result left the payment paid", async () => {
    const payment = await paidPayment(app, support, { amount: 150 });
    const first = await timedOutReversal(payment.id);
    aheadMs = RESULT_WAIT_MS + 1000;
    const waiting = await requestReversal(app.ctx, finance, payment.id, {
      reason: "Goods returned",
    });
    // The first one's late result says it succeeded but carries no amount: a case, the payment paid.
    await postReversalResult(app, first.requestId!, {
      reversalReceipt: "TLR3ABCD45",
      amount: null,
      original: payment.receipt!,
    });
    await settled(first.requestId!, ["completed"]);
    expect((await view(payment.id)).status).toBe("paid");
    await expect(
      approveReversal(app.ctx, second, payment.id, waiting.requestId!),
    ).rejects.toMatchObject({
      code: "not_eligible",
      message: expect.stringMatching(/already reversed/),
    });
    expect((await requestRow(waiting.requestId!)).state).toBe("awaiting_approval");
    await rejectReversal(app.ctx, finance, payment.id, waiting.requestId!, "already reversed");
    await expect(
      requestReversal(app.ctx, finance, payment.id, { reason: "once more" }),
    ).rejects.toMatchObject({ code: "reversal_exists" });
  });

  it("can be withdrawn by its requester or rejected by another; nothing is sent", async () => {
    const payment = await paidPayment(app, support, { amount: 140 });
    const asked = await requestReversal(app.ctx, finance, payment.id, {
      reason: "Wrong customer charged",
    });
    await rejectReversal(
      app.ctx,
      second,
      payment.id,
      asked.requestId!,
      "Not approved: goods delivered",
    );
    expect((await requestRow(asked.requestId!)).state).toBe("rejected");
    await expect(
      approveReversal(app.ctx, second, payment.id, asked.requestId!),
    ).rejects.toMatchObject({ code: "already_decided" });
    const sent = await simRequestsFor("reversal", payment.receipt);
    expect(sent).toEqual([]);
    expect((await view(payment.id)).status).toBe("paid");

    // The requester takes their own request back: withdrawn, audited as such, nothing sent.
    const mine = await requestReversal(app.ctx, finance, payment.id, {
      reason: "Customer changed their mind",
    });
    await rejectReversal(app.ctx, finance, payment.id, mine.requestId!, "Asked by mistake");
    expect((await requestRow(mine.requestId!)).state).toBe("rejected");
    const [withdrawal] = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(and(eq(staffAudit.action, "reversal.withdraw"), eq(staffAudit.entityId, payment.id)));
    expect(withdrawal?.actorUserId).toBe(finance.userId);
    expect(await simRequestsFor("reversal", payment.receipt)).toEqual([]);
    expect((await view(payment.id)).status).toBe("paid");
  });

  it("refuses a payment above the admin's cap, and an unpaid one", async () => {
    const admin = actorFor(await makeUser(app.ctx, "admin"));
    await setReversalCap(app.ctx.db, admin, { capKes: 100 });
    const payment = await paidPayment(app, support, { amount: 150 });
    await expect(
      requestReversal(app.ctx, finance, payment.id, { reason: "Too big for the cap" }),
    ).rejects.toThrow(/reversal cap of KES 100/);
    await setReversalCap(app.ctx.db, admin, { capKes: 10000 });
    const pending = await receiptPendingPayment(app, support);
    await expect(
      requestReversal(app.ctx, finance, pending.id, { reason: "No receipt yet" }),
    ).rejects.toThrow(/paid payment with its receipt/);
    const cases = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.paymentId, payment.id));
    expect(cases).toEqual([]);
  });
});

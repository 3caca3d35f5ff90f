// A reversal M-Pesa never answers (the simulator drops its result): finance may record that after
// MPESA_RESULT_WAIT_S, with who, when and why, and the receipt may then be reversed again; a result
// that still comes is applied. Runs on PGlite and on PostgreSQL.
import { and, eq } from "drizzle-orm";
import { darajaRequests, exceptions, paymentEvents, staffAudit } from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { moneyOutStaff, postReversalResult } from "../../../tests/support/money-out";
import { paidPayment } from "../../../tests/support/reconciliation";
import type { Actor } from "../auth/staff-audit.server";
import { DARAJA_ACTOR } from "../ledger/events.server";
import { applyReversalRefusedAsDone } from "../ledger/money-out.server";
import { getPaymentView } from "../payments/queries.server";
import { approveReversal, requestReversal } from "./requests.server";
import { noAnswerFrom } from "./unanswered.server";
import { getMoneyOutView, runMoneyOutIntent } from "./view.server";

type StaffActor = Actor & { kind: "user" };
let app: TestApp;
let finance: StaffActor;
let second: StaffActor;
let support: StaffActor;
/** How far the app's clock is ahead of the real one. */
let aheadMs = 0;

beforeAll(async () => {
  app = await startTestApp({
    env: { MPESA_RESULT_WAIT_S: "1800" },
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
const stateOf = (id: string, states: string[]) =>
  waitFor(
    async () => {
      const r = await requestRow(id);
      return states.includes(r.state) ? r.state : null;
    },
    8000,
    `request ${id} in ${states.join(" or ")}`,
  );
const noAnswer = (paymentId: string, note: string, requestId: string, actor = finance) =>
  runMoneyOutIntent(app.ctx, actor, paymentId, { intent: "reversal_unanswered", requestId, note });

/** A paid payment whose approved reversal M-Pesa accepted and never answered. */
async function unansweredReversal() {
  const payment = await paidPayment(app, support, { amount: 150 });
  await app.control("next-initiator-result", { api: "reversal", outcome: "drop" });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  await approveReversal(app.ctx, second, payment.id, asked.requestId!);
  await stateOf(asked.requestId!, ["sent"]);
  return { payment, requestId: asked.requestId! };
}

it("lets finance record no answer only after the wait, with who and why, and reverse the receipt again", async () => {
  const { payment, requestId } = await unansweredReversal();
  const waiting = (await getMoneyOutView(app.ctx, payment.id, finance))!.requests[0]!;
  expect(waiting.noAnswer).toMatchObject({ now: false });
  const sentAt = (await requestRow(requestId)).sentAt!;
  expect(new Date(waiting.noAnswer!.from).getTime() - sentAt.getTime()).toBe(30 * 60_000);

  // Too early: M-Pesa may still answer, and the live reversal still blocks another.
  await expect(noAnswer(payment.id, "Nothing on the statement", requestId)).rejects.toMatchObject({
    code: "too_early",
    status: 409,
  });
  await expect(
    requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" }),
  ).rejects.toMatchObject({ code: "reversal_exists" });

  aheadMs = 31 * 60_000;
  expect(
    (await getMoneyOutView(app.ctx, payment.id, finance))!.requests[0]!.noAnswer,
  ).toMatchObject({ now: true });
  // Support may not; finance must say what they checked.
  await expect(noAnswer(payment.id, "Checked it", requestId, support)).rejects.toMatchObject({
    status: 403,
  });
  await expect(noAnswer(payment.id, "no", requestId)).rejects.toMatchObject({ status: 400 });
  expect((await requestRow(requestId)).state).toBe("sent");

  const note = "Transaction Status shows the receipt not reversed";
  await expect(noAnswer(payment.id, note, requestId)).resolves.toMatchObject({ ok: true });
  expect((await requestRow(requestId)).state).toBe("unanswered");
  const [audit] = await app.ctx.db
    .select()
    .from(staffAudit)
    .where(and(eq(staffAudit.action, "reversal.unanswered"), eq(staffAudit.entityId, payment.id)));
  expect(audit).toMatchObject({ actorUserId: finance.userId, note });
  const events = await app.ctx.db
    .select()
    .from(paymentEvents)
    .where(eq(paymentEvents.paymentId, payment.id));
  expect(events.find((e) => e.type === "reversal_unanswered")?.summary).toContain(note);
  const shown = (await getMoneyOutView(app.ctx, payment.id, finance))!.requests[0]!;
  expect(shown).toMatchObject({ state: "unanswered", noAnswer: null });
  expect(shown.result).toMatch(/No answer from M-Pesa/);
  // Once is enough.
  await expect(noAnswer(payment.id, note, requestId)).rejects.toMatchObject({
    code: "already_decided",
  });

  // The receipt may be reversed again, through a second finance user; this time M-Pesa answers.
  const again = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  await approveReversal(app.ctx, second, payment.id, again.requestId!);
  expect(await stateOf(again.requestId!, ["completed", "failed"])).toBe("completed");
  await app.ctx.callbackQueue.idle();
  expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("refunded");
});

it("applies the result of a reversal recorded as unanswered when it comes after all", async () => {
  const { payment, requestId } = await unansweredReversal();
  aheadMs = 31 * 60_000;
  await noAnswer(payment.id, "Nothing on the statement yet", requestId);
  // M-Pesa answers late after all.
  const res = await postReversalResult(app, requestId, {
    reversalReceipt: "TLU1ABCD23",
    amount: 150,
    original: payment.receipt!,
  });
  expect(res.status).toBe(200);
  expect(await stateOf(requestId, ["completed"])).toBe("completed");
  await app.ctx.callbackQueue.idle();
  expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("refunded");

  // M-Pesa refusing another reversal as already done is now only a note: the books agree with it.
  const refused = await app.ctx.db.transaction((tx) =>
    applyReversalRefusedAsDone(tx, DARAJA_ACTOR, {
      paymentId: payment.id,
      rawCallbackId: null,
      now: app.ctx.now(),
      receipt: payment.receipt!,
      why: "the transaction was already reversed",
    }),
  );
  expect(refused.outcome).toBe("applied");
  const cases = await app.ctx.db
    .select()
    .from(exceptions)
    .where(eq(exceptions.paymentId, payment.id));
  expect(cases).toEqual([]);
});

it("refuses to record no answer for a reversal M-Pesa answered", async () => {
  const payment = await paidPayment(app, support, { amount: 160 });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  await approveReversal(app.ctx, second, payment.id, asked.requestId!);
  await stateOf(asked.requestId!, ["completed"]);
  aheadMs = 31 * 60_000;
  await expect(noAnswer(payment.id, "Nothing came back", asked.requestId!)).rejects.toMatchObject({
    code: "already_decided",
    status: 409,
  });
  expect((await getMoneyOutView(app.ctx, payment.id, finance))!.requests[0]!.noAnswer).toBeNull();
});

it("makes a reversal still being sent wait out the HTTP call's time limit as well", () => {
  const at = new Date("2026-12-02T10:00:00Z");
  const wait = { resultWaitMs: 60_000, timeoutMs: 15_000 };
  const row = { kind: "reversal" as const, sentAt: at, updatedAt: at };
  expect(noAnswerFrom({ ...row, state: "sent" }, wait)).toEqual(new Date("2026-12-02T10:01:00Z"));
  expect(noAnswerFrom({ ...row, sentAt: null, state: "sending" }, wait)).toEqual(
    new Date("2026-12-02T10:01:15Z"),
  );
  expect(noAnswerFrom({ ...row, state: "awaiting_approval" }, wait)).toBeNull();
  expect(noAnswerFrom({ ...row, state: "timed_out" }, wait)).toBeNull();
  expect(noAnswerFrom({ ...row, kind: "status", state: "sent" }, wait)).toBeNull();
});

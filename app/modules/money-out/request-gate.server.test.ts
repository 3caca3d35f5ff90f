// What an initiator result may do to a request, checked by the request's gate (request-states.ts):
// a result about a reversal that never entered M-Pesa's queue (awaiting approval, rejected, refused by
// the gateway) changes nothing, and a repeated queue timeout is a duplicate. Over the hooks, through
// the queue; runs on PGlite and on PostgreSQL.
import { and, eq } from "drizzle-orm";
import { darajaRequests, paymentEvents, rawCallbacks } from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { moneyOutStaff, postReversalResult } from "../../../tests/support/money-out";
import { paidPayment } from "../../../tests/support/reconciliation";
import type { Actor } from "../auth/staff-audit.server";
import { getPaymentView } from "../payments/queries.server";
import { recordAck } from "./request-writer.server";
import { approveReversal, rejectReversal, requestReversal } from "./requests.server";

type StaffActor = Actor & { kind: "user" };
let app: TestApp;
let finance: StaffActor;
let second: StaffActor;
let support: StaffActor;

beforeAll(async () => {
  app = await startTestApp();
  ({ finance, second, support } = await moneyOutStaff(app));
});
afterAll(async () => app?.close());

const requestRow = async (id: string) =>
  (await app.ctx.db.select().from(darajaRequests).where(eq(darajaRequests.id, id)))[0]!;
/** The request once M-Pesa's result has completed it. */
const completedRow = (id: string) =>
  waitFor(
    async () => {
      const row = await requestRow(id);
      return row.state === "completed" ? row : null;
    },
    8000,
    "the reversal completed",
  );
/** The raw callbacks that name the request, once the queue has applied them all. */
const appliedRaws = (conversationId: string, kind: string, count: number) =>
  waitFor(
    async () => {
      const rows = await app.ctx.db
        .select()
        .from(rawCallbacks)
        .where(and(eq(rawCallbacks.conversationId, conversationId), eq(rawCallbacks.kind, kind)));
      return rows.length === count && rows.every((r) => r.outcome !== "received") ? rows : null;
    },
    8000,
    `${count} ${kind} applied`,
  );
const eventTypes = async (paymentId: string) =>
  (await app.ctx.db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, paymentId))).map(
    (e) => e.type,
  );

it("keeps a result about a reversal still waiting for approval for a person, and moves no money", async () => {
  const payment = await paidPayment(app, support, { amount: 240 });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  const request = await requestRow(asked.requestId!);
  expect(request.state).toBe("awaiting_approval");

  // A success result that names it, though it never left: it guessed or replayed our id.
  const res = await postReversalResult(app, request.id, {
    reversalReceipt: "RVX0000001",
    amount: 240,
    original: payment.receipt!,
    conversationId: "AG_20261203_0000000000000001",
  });
  expect(res.status).toBe(200);
  const [raw] = await appliedRaws(request.originatorConversationId, "reversal_result", 1);
  expect(raw).toMatchObject({ outcome: "invalid" });
  expect(raw!.outcomeDetail).toContain("never sent (it is awaiting approval)");

  expect(await requestRow(request.id)).toMatchObject({
    state: "awaiting_approval",
    resultRawCallbackId: null,
  });
  expect(await getPaymentView(app.ctx.db, payment.id)).toMatchObject({ status: "paid" });
  // On the payment's timeline: what came and that nothing changed; no reversal recorded.
  const types = await eventTypes(payment.id);
  expect(types).toContain("reversal_result_unsent");
  expect(types).not.toContain("reversal");

  // The second user's decision still stands, and the real reversal goes through.
  await approveReversal(app.ctx, second, payment.id, request.id);
  await completedRow(request.id);
  expect(await getPaymentView(app.ctx.db, payment.id)).toMatchObject({ status: "refunded" });
});

it("records M-Pesa's queue timeout once: the same timeout again is a duplicate", async () => {
  const payment = await paidPayment(app, support, { amount: 260 });
  await app.control("next-initiator-result", { api: "reversal", outcome: "timeout" });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  await approveReversal(app.ctx, second, payment.id, asked.requestId!);
  const request = await requestRow(asked.requestId!);
  const [first] = await appliedRaws(request.originatorConversationId, "reversal_timeout", 1);
  expect(first).toMatchObject({ outcome: "applied" });

  // Delivered again (M-Pesa retried, or someone replayed it).
  const again = await fetch(`${app.appUrl}/hooks/daraja/reversal/timeout/test-callback-token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: Buffer.from(first!.body).toString("utf8"),
  });
  expect(again.status).toBe(200);
  const raws = await appliedRaws(request.originatorConversationId, "reversal_timeout", 2);
  const second_ = raws.find((r) => r.id !== first!.id)!;
  expect(second_).toMatchObject({ outcome: "duplicate" });
  expect(second_.outcomeDetail).toContain("already timed out");
  expect(await requestRow(request.id)).toMatchObject({
    state: "timed_out",
    resultRawCallbackId: first!.id,
  });
  expect((await eventTypes(payment.id)).filter((t) => t === "reversal_timeout")).toHaveLength(1);
});

/** A success result naming the reversal, with a Daraja-shaped ConversationID, applied by the queue. */
async function forgedSuccess(
  request: { id: string; originatorConversationId: string },
  receipt: string,
  amount: number,
) {
  const res = await postReversalResult(app, request.id, {
    reversalReceipt: "RVX0000002",
    amount,
    original: receipt,
    conversationId: "AG_20261203_0000000000000002",
  });
  expect(res.status).toBe(200);
  const [raw] = await appliedRaws(request.originatorConversationId, "reversal_result", 1);
  return raw!;
}

it("changes nothing for a result about a rejected reversal, and says so", async () => {
  const payment = await paidPayment(app, support, { amount: 270 });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  await rejectReversal(app.ctx, second, payment.id, asked.requestId!, "Not without the goods");
  const request = await requestRow(asked.requestId!);

  const raw = await forgedSuccess(request, payment.receipt!, 270);
  expect(raw).toMatchObject({ outcome: "invalid" });
  expect(raw.outcomeDetail).toContain("never sent (it is rejected)");
  expect(await requestRow(request.id)).toMatchObject({ state: "rejected" });
  expect(await getPaymentView(app.ctx.db, payment.id)).toMatchObject({ status: "paid" });
});

it("keeps a reversal Daraja's gateway refused apart: its receipt may be reversed again, and a result naming it changes nothing", async () => {
  const payment = await paidPayment(app, support, { amount: 280 });
  await app.control("next-initiator-result", { api: "reversal", outcome: "refused" });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  const sent = await approveReversal(app.ctx, second, payment.id, asked.requestId!);
  expect(sent).toMatchObject({ ok: false });
  expect(sent.message).toContain("Invalid TransactionID");
  const request = await requestRow(asked.requestId!);
  expect(request).toMatchObject({ state: "refused" });
  expect(request.sendError).toContain("Invalid TransactionID");

  const raw = await forgedSuccess(request, payment.receipt!, 280);
  expect(raw).toMatchObject({ outcome: "invalid" });
  expect(raw.outcomeDetail).toContain("never sent (it is refused)");
  expect(await getPaymentView(app.ctx.db, payment.id)).toMatchObject({ status: "paid" });

  // Not live: finance may ask again, and the second reversal goes through once.
  const again = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  await approveReversal(app.ctx, second, payment.id, again.requestId!);
  await completedRow(again.requestId!);
  expect(await getPaymentView(app.ctx.db, payment.id)).toMatchObject({ status: "refunded" });
});

it("lets M-Pesa's result overtake its acknowledgement: the reversal completes once, keeps its conversation id, and the timeline says the result came first", async () => {
  const payment = await paidPayment(app, support, { amount: 290 });
  await app.control("next-initiator-result", { api: "reversal", outcome: "result_first" });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  // The simulator posts the result before it answers the call; the answer reaches us only once the
  // queue has applied that result, as it does when Daraja's gateway answers slowly.
  const real = app.ctx.daraja.initiator;
  const slowGateway = {
    ...app.ctx,
    daraja: {
      ...app.ctx.daraja,
      initiator: {
        ...real,
        reversal: async (input: Parameters<typeof real.reversal>[0]) => {
          const ack = await real.reversal(input);
          await completedRow(asked.requestId!);
          return ack;
        },
      },
    },
  };
  const sent = await approveReversal(slowGateway, second, payment.id, asked.requestId!);
  expect(sent).toMatchObject({ ok: true });
  expect(sent.message).toBe(
    "Reversal: M-Pesa's result came before its acknowledgement; the request is completed.",
  );
  const done = await requestRow(asked.requestId!);
  expect(done.state).toBe("completed");
  // The acknowledgement's conversation id is the one the result named.
  const [raw] = await appliedRaws(done.originatorConversationId, "reversal_result", 1);
  const body = JSON.parse(Buffer.from(raw!.body).toString("utf8")) as {
    Result: { ConversationID: string };
  };
  expect(done.conversationId).toBe(body.Result.ConversationID);
  expect(done.sentAt).not.toBeNull();
  expect(await getPaymentView(app.ctx.db, payment.id)).toMatchObject({ status: "refunded" });
  const events = await app.ctx.db
    .select()
    .from(paymentEvents)
    .where(eq(paymentEvents.paymentId, payment.id));
  expect(events.filter((e) => e.type === "reversal")).toHaveLength(1);
  expect(events.find((e) => e.type === "reversal_request")?.summary).toBe(sent.message);
});

it("writes an acknowledgement that comes after the result without undoing the result, and says so", async () => {
  const payment = await paidPayment(app, support, { amount: 300 });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Goods returned" });
  await approveReversal(app.ctx, second, payment.id, asked.requestId!);
  const request = await completedRow(asked.requestId!);
  const later = new Date(Date.now() + 60_000);

  // A late acknowledgement (a slow gateway): kept for its conversation id, the result's state stands.
  const ok = await recordAck(app.ctx.db, request, { ok: true, conversationId: "AG_LATE" }, later);
  expect(ok).toEqual({ state: "completed", byAck: false });
  expect(await requestRow(request.id)).toMatchObject({
    state: "completed",
    conversationId: "AG_LATE",
    completedAt: request.completedAt,
  });
  // A late failure says nothing about a request M-Pesa has answered: nothing is written.
  const failed = await recordAck(
    app.ctx.db,
    request,
    { ok: false, refused: true, message: "Invalid TransactionID" },
    later,
  );
  expect(failed).toEqual({ state: "completed", byAck: false });
  expect(await requestRow(request.id)).toMatchObject({ state: "completed", sendError: null });
  expect(await getPaymentView(app.ctx.db, payment.id)).toMatchObject({ status: "refunded" });
});

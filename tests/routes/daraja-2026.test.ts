// The app survives the 2026 Daraja behaviours, with the real simulator calling the real hook routes
// over HTTP: masked or absent payer numbers, missing TransactionDate, a query asked too early, the
// query budget (429), and HTML gateway pages on push and query. Scenario files from
// simulator/scenarios are armed by name, the same files CI replays against the built server.
import { and, asc, desc, eq } from "drizzle-orm";
import {
  darajaCalls,
  exceptions,
  jobLeases,
  paymentEvents,
  payments,
  rawCallbacks,
  receipts,
  stkAttempts,
} from "../../db/schema";
import { getPollerOverview } from "../../app/modules/admin/jobs.server";
import { listCallbacks } from "../../app/modules/callbacks/queries.server";
import { getSweepBackoff } from "../../app/modules/payments/poll-rate.server";
import { checkPaymentNow } from "../../app/modules/payments/check-now.server";
import { sweepDuePayments } from "../../app/modules/payments/poller.server";
import { getPaymentView } from "../../app/modules/payments/queries.server";
import { startTestApp, waitFor, type TestApp } from "../support/app";
import { flows } from "../support/exception-flows";
import { PHONES, signedIn } from "../support/factories";

let app: TestApp;
let f: ReturnType<typeof flows>;
let actor: Awaited<ReturnType<typeof signedIn>>["actor"];

beforeAll(async () => {
  app = await startTestApp({ env: { DARAJA_TIMEOUT_MS: "2000" } });
  actor = (await signedIn(app.ctx, "support")).actor;
  f = flows(app, actor);
});
afterAll(async () => app?.close());
// No simulator reset between tests: it re-seeds receipts, and this database remembers them.
beforeEach(async () => {
  await app.control("config", {
    phoneForm: "full",
    callbackShape: {
      amount: "number",
      transactionDate: "number",
      phone: "number",
      itemOrder: "documented",
    },
  });
  // A rate-limit pause set by one test must not hold up the next.
  await db().update(jobLeases).set({ backoffUntil: null });
});

const db = () => app.ctx.db;
const callbackRow = (paymentId: string) =>
  waitFor(async () => {
    await app.ctx.callbackQueue.idle();
    const rows = await db()
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.paymentId, paymentId))
      .orderBy(asc(rawCallbacks.id));
    return rows.length ? rows : null;
  });
const eventsOf = (paymentId: string) =>
  db()
    .select()
    .from(paymentEvents)
    .where(eq(paymentEvents.paymentId, paymentId))
    .orderBy(asc(paymentEvents.id));
const receiptOf = async (paymentId: string) =>
  (await db().select().from(receipts).where(eq(receipts.paymentId, paymentId)))[0];

describe("masked and absent payer numbers in STK callbacks", () => {
  it("a masked number is paid on, never replaces ours, and every record says it was masked", async () => {
    await app.control("config", { phoneForm: "masked_tail" });
    const payment = await f.pay(PHONES.pays, 150);
    await f.settled(payment.id, "paid");
    const [raw] = await callbackRow(payment.id);
    expect(Buffer.from(raw.body).toString()).toContain('"Value":"0708000***"');
    expect(raw.phoneKind).toBe("masked");
    const receipt = await receiptOf(payment.id);
    expect(receipt).toMatchObject({ phone: PHONES.pays, phoneKind: "masked" });
    const [stored] = await db().select().from(payments).where(eq(payments.id, payment.id));
    expect(stored.phone).toBe(PHONES.pays);
    const note = (await eventsOf(payment.id)).find((e) => e.type === "callback_note");
    expect(note?.summary).toMatch(/phone number was masked.*not used to match/);
    expect(note?.data).toMatchObject({ phoneKind: "masked" });
    // The JSON API's callback log carries the kind too.
    const { callbacks } = await listCallbacks(db(), { paymentId: payment.id });
    expect(callbacks.map((c) => c.phoneKind)).toEqual(["masked"]);
  });

  it("an absent number on one test number only; the others stay full", async () => {
    await app.control("config", { phoneFormByNumber: { [PHONES.duplicateCallback]: "absent" } });
    const absent = await f.pay(PHONES.duplicateCallback, 160);
    const full = await f.pay(PHONES.pays, 170);
    await f.settled(absent.id, "paid");
    await f.settled(full.id, "paid");
    const absentRows = await waitFor(async () => {
      const rows = await callbackRow(absent.id);
      return rows.length === 2 && rows.every((r) => r.outcome !== "received") && rows;
    });
    expect(absentRows.map((r) => [r.outcome, r.phoneKind])).toEqual([
      ["applied", "absent"],
      ["duplicate", "absent"],
    ]);
    expect((await callbackRow(full.id)).map((r) => r.phoneKind)).toEqual(["full"]);
    await app.control("config", { phoneFormByNumber: { [PHONES.duplicateCallback]: null } });
    expect(await receiptOf(absent.id)).toMatchObject({
      phone: PHONES.duplicateCallback,
      phoneKind: "absent",
    });
    expect(await receiptOf(full.id)).toMatchObject({ phoneKind: "full" });
    const notes = (await eventsOf(absent.id)).filter((e) => e.type === "callback_note");
    expect(notes).toHaveLength(1);
    expect(notes[0].summary).toMatch(/carried no phone number/);
  });
});

describe("a success callback without TransactionDate, items reversed, values as strings", () => {
  it("pays, uses the arrival time, and says so", async () => {
    await app.control("config", {
      callbackShape: { transactionDate: "absent", amount: "string", itemOrder: "reversed" },
    });
    const payment = await f.pay(PHONES.pays, 180);
    await f.settled(payment.id, "paid");
    const [raw] = await callbackRow(payment.id);
    const receipt = await receiptOf(payment.id);
    expect(receipt.amountKes).toBe(180);
    expect(receipt.transactionAt?.toISOString()).toBe(raw.receivedAt.toISOString());
    const note = (await eventsOf(payment.id)).find((e) => e.type === "callback_note");
    expect(note?.summary).toMatch(/no TransactionDate, so the time it arrived .* EAT\) stands in/);
    expect(note?.data).toMatchObject({ transactionAt: "arrival" });
  });
});

describe("a query asked too early (scenario early-query-lost-callback)", () => {
  it("400 Invalid CheckoutRequestID is 'not yet known': the poller keeps asking, 4999, then paid", async () => {
    await app.control("scenarios", { names: ["early-query-lost-callback"] });
    const payment = await f.pay("254711000005", 150);
    await waitFor(async () => (await getPaymentView(db(), payment.id))?.status === "pending");
    const first = await checkPaymentNow(app.ctx, payment.id, actor);
    expect(first.answer).toBe("not yet known to M-Pesa (400.002.02 Invalid CheckoutRequestID)");
    expect(first.payment.status).toBe("pending");
    expect(first.message).toMatch(/no final answer yet/);
    const [attempt] = await db()
      .select()
      .from(stkAttempts)
      .where(eq(stkAttempts.paymentId, payment.id));
    expect(attempt.nextPollAt).not.toBeNull();
    expect((await checkPaymentNow(app.ctx, payment.id, actor)).answer).toBe("still processing");
    const last = await checkPaymentNow(app.ctx, payment.id, actor);
    expect(last.payment.status).toBe("paid");
    // Not one of the three answers counted as an error.
    const calls = await db()
      .select()
      .from(darajaCalls)
      .where(and(eq(darajaCalls.paymentId, payment.id), eq(darajaCalls.endpoint, "query")))
      .orderBy(asc(darajaCalls.id));
    expect(calls.map((c) => [c.httpStatus, c.outcome])).toEqual([
      [400, "processing"],
      [200, "processing"],
      [200, "final"],
    ]);
    const cases = await db().select().from(exceptions).where(eq(exceptions.paymentId, payment.id));
    expect(cases).toEqual([]);
  });
});

describe("the query budget: HTTP 429 (scenario rate-limited-query)", () => {
  it("pauses polling for every instance, and the poller page shows the budget in use", async () => {
    const before = (await getPollerOverview(app.ctx)).budget;
    expect(before.pausedUntil).toBeNull();
    await app.control("scenarios", { names: ["rate-limited-query"] });
    const payment = await f.pay("254711000013", 150);
    await waitFor(async () => (await getPaymentView(db(), payment.id))?.status === "pending");
    await expect(checkPaymentNow(app.ctx, payment.id, actor)).resolves.toMatchObject({
      answer: "rate limited",
      message: expect.stringMatching(/asked us to slow down/),
    });
    const pausedUntil = await getSweepBackoff(db(), app.ctx.now());
    expect(pausedUntil).not.toBeNull();
    const sweep = await sweepDuePayments(app.ctx, { trigger: "cli" });
    expect(sweep).toMatchObject({ status: "skipped", queried: 0 });
    const { budget } = await getPollerOverview(app.ctx);
    expect(budget).toEqual({
      maxQps: app.ctx.config.poller.maxQps,
      queriesLastMinute: before.queriesLastMinute + 1,
      rateLimitedLastHour: before.rateLimitedLastHour + 1,
      pausedUntil: pausedUntil!.toISOString(),
    });
    expect((await getPaymentView(db(), payment.id))?.status).toBe("pending");
  });
});

describe("HTTP 200 with an HTML gateway page", () => {
  it("on the push (scenario html-push-page): outcome unknown with a case, never failed", async () => {
    await app.control("scenarios", { names: ["html-push-page"] });
    const payment = await f.pay("254711000011", 150);
    const view = await f.settled(payment.id, "unknown");
    expect(view.attempts[0]).toMatchObject({ status: "unknown" });
    const events = await eventsOf(payment.id);
    expect(events.find((e) => e.type === "push_unknown")?.summary).toBe(
      "M-Pesa's gateway answered with a web page instead of a result; the prompt may still have reached the customer, so wait for the result before sending another",
    );
    await f.exceptionFor({ paymentId: payment.id }, "unknown_outcome");
  });

  it("on the query: a retryable error, the payment stays pending and is asked again", async () => {
    const payment = await f.pay(PHONES.neverResolves, 150);
    await waitFor(async () => (await getPaymentView(db(), payment.id))?.status === "pending");
    await app.control("next-query", { response: "html_200" });
    const checked = await checkPaymentNow(app.ctx, payment.id, actor);
    expect(checked.answer).toBe("error: unexpected");
    expect(checked.payment.status).toBe("pending");
    const [call] = await db()
      .select()
      .from(darajaCalls)
      .where(and(eq(darajaCalls.paymentId, payment.id), eq(darajaCalls.endpoint, "query")));
    expect(call).toMatchObject({ httpStatus: 200, outcome: "error" });
    expect(call.message).toMatch(/web page instead of a result; we will ask again/);
    expect(checked.payment.attempts[0].nextPollAt).not.toBeNull();
  });
});

describe("with a tight budget the poller asks about the oldest, then the largest, first", () => {
  it("orders due attempts by age, then amount", async () => {
    const [small, large, middle] = [
      await f.pay(PHONES.neverResolves, 100),
      await f.pay(PHONES.neverResolves, 900),
      await f.pay(PHONES.neverResolves, 500),
    ];
    const now = app.ctx.now().getTime();
    const age = async (paymentId: string, ageS: number) =>
      db()
        .update(stkAttempts)
        .set({ createdAt: new Date(now - ageS * 1000), nextPollAt: new Date(now - 1000) })
        .where(eq(stkAttempts.paymentId, paymentId));
    await age(small.id, 60);
    await age(large.id, 30);
    await age(middle.id, 30);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const sweep = await sweepDuePayments(app.ctx, { trigger: "cli", limit: 1 });
      expect(sweep.queried).toBe(1);
      const [last] = await db()
        .select({ paymentId: darajaCalls.paymentId })
        .from(darajaCalls)
        .where(eq(darajaCalls.endpoint, "query"))
        .orderBy(desc(darajaCalls.id))
        .limit(1);
      order.push(last.paymentId!);
    }
    expect(order).toEqual([small.id, large.id, middle.id]);
  });
});

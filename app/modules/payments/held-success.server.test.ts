// A success callback from outside the allow-list (docs/daraja.md#callback-delivery): its receipt is
// never taken on its word. STK Query's 0 makes the payment paid with the receipt still to come; a
// trusted witness supplies it. After a final answer, the poller no longer asks, so it is a case for a
// person at once. Runs on PGlite and on PostgreSQL.
import { and, eq } from "drizzle-orm";
import { exceptions, rawCallbacks } from "../../../db/schema";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  type TestApp,
} from "../../../tests/support/app";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import { sweepDuePayments } from "./poller.server";
import { getPaymentView } from "./queries.server";

const SAFARICOM_IP = "196.201.214.200";
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({
    env: { MPESA_CALLBACK_ALLOWED_IPS: SAFARICOM_IP, TRUST_PROXY: "true", POLL_MAX_QPS: "50" },
  });
});
afterAll(async () => app?.close());

const sweep = () => sweepDuePayments(app.ctx, { trigger: "cli" });
const view = async (paymentId: string) => (await getPaymentView(app.ctx.db, paymentId))!;
const openCases = (paymentId: string) =>
  app.ctx.db
    .select()
    .from(exceptions)
    .where(and(eq(exceptions.paymentId, paymentId), eq(exceptions.status, "open")));
async function due(outcome: string, amount = 100) {
  const { checkoutRequestIds } = await app.control("transactions", { count: 1, outcome, amount });
  const [row] = await insertDueAttempts(app.ctx.db, checkoutRequestIds, { amountKes: amount });
  return row!;
}
const callback = (
  body: { checkoutRequestId: string; receipt?: string; resultCode?: number; amount?: number },
  from: string | null,
) =>
  postStkCallback(app, stkCallbackBody(body), {
    headers: from ? { "X-Forwarded-For": from } : {},
  });
const rawsOf = (checkoutRequestId: string) =>
  app.ctx.db
    .select()
    .from(rawCallbacks)
    .where(eq(rawCallbacks.checkoutRequestId, checkoutRequestId))
    .orderBy(rawCallbacks.id);

it("pays on the query's 0 with the receipt still to come, and takes the receipt from the trusted callback that follows", async () => {
  const d = await due("lost_callback");
  expect(
    (await callback({ checkoutRequestId: d.checkoutRequestId, receipt: "TKL9FAKE01" }, null))
      .status,
  ).toBe(200);
  expect((await view(d.paymentId)).status).toBe("pending");

  expect(await sweep()).toMatchObject({ queried: 1, changed: 1 });
  expect(await view(d.paymentId)).toMatchObject({
    status: "paid",
    receipt: null,
    receiptPending: true,
  });
  const [held] = await rawsOf(d.checkoutRequestId);
  expect(held).toMatchObject({ sourceTrusted: false, outcome: "applied" });
  expect(held!.outcomeDetail).toMatch(/receipt TKL9FAKE01 not taken/);
  const timeline = (await view(d.paymentId)).timeline.map((e) => e.summary).join("\n");
  expect(timeline).toMatch(/TKL9FAKE01.*unverified/);

  // The genuine callback, from Safaricom's address, carries the real receipt: it is attached.
  await callback({ checkoutRequestId: d.checkoutRequestId, receipt: "TKL9REAL01" }, SAFARICOM_IP);
  await app.ctx.callbackQueue.idle();
  expect(await view(d.paymentId)).toMatchObject({
    status: "paid",
    receipt: "TKL9REAL01",
    receiptPending: false,
  });
  expect(await openCases(d.paymentId)).toEqual([]);
});

it("puts a success from outside the allow-list after the customer cancelled in front of a person at once", async () => {
  const d = await due("lost_callback");
  await callback({ checkoutRequestId: d.checkoutRequestId, resultCode: 1032 }, SAFARICOM_IP);
  await app.ctx.callbackQueue.idle();
  expect((await view(d.paymentId)).status).toBe("cancelled");

  await callback({ checkoutRequestId: d.checkoutRequestId, receipt: "TKL9LATE01" }, null);
  await app.ctx.callbackQueue.idle();
  const p = await view(d.paymentId);
  expect(p).toMatchObject({ status: "cancelled", receipt: null });
  const cases = await openCases(d.paymentId);
  expect(cases).toHaveLength(1);
  expect(cases[0]!.summary).toMatch(/outside the allow-list/);
  const raws = await rawsOf(d.checkoutRequestId);
  expect(raws.at(-1)!.outcomeDetail).not.toMatch(/^held/);
  // Another claim, with another receipt (perhaps the genuine one), is a case of its own.
  await callback({ checkoutRequestId: d.checkoutRequestId, receipt: "TKL9LATE02" }, null);
  await app.ctx.callbackQueue.idle();
  const summaries = (await openCases(d.paymentId)).map((c) => c.summary);
  expect(summaries).toHaveLength(2);
  expect(summaries).toEqual(
    expect.arrayContaining([
      expect.stringContaining("TKL9LATE01"),
      expect.stringContaining("TKL9LATE02"),
    ]),
  );
});

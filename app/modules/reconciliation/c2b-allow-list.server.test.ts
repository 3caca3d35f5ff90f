// Issue 10 item 7: C2B confirmations follow exactly the STK callback rules — the allow-list applies
// (an untrusted success is held, settling nothing, until another witness vouches for the receipt),
// they are stored, acknowledged and applied off the request path, recovered by the sweep, and
// re-processable from the console.
import { eq } from "drizzle-orm";
import { rawCallbacks, receipts } from "../../../db/schema";
import { CALLBACK_TOKEN, startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { freshReceipt, pendingPayment } from "../../../tests/support/reconciliation";
import { toDarajaTimestamp } from "../../lib/time";
import type { Actor } from "../auth/staff-audit.server";
import { recordCallback } from "../callbacks/intake.server";
import { recoverStaleCallbacks } from "../callbacks/recovery.server";
import { reprocessFromConsole } from "../callbacks/reprocess.server";
import { getPaymentView } from "../payments/queries.server";
import { corroborateHeldC2b } from "./c2b.server";

const SAFARICOM = "196.201.214.10";
const ELSEWHERE = "10.9.9.9";

let app: TestApp;
let support: Actor;
beforeAll(async () => {
  app = await startTestApp({
    env: { MPESA_CALLBACK_ALLOWED_IPS: "196.201.214.", TRUST_PROXY: "true" },
  });
  support = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

const confirmation = (p: { accountReference: string; amount: number }, transId: string) =>
  JSON.stringify({
    TransactionType: "Pay Bill",
    TransID: transId,
    TransTime: toDarajaTimestamp(app.ctx.now()),
    TransAmount: `${p.amount}.00`,
    BusinessShortCode: "174379",
    BillRefNumber: p.accountReference,
    InvoiceNumber: "",
    OrgAccountBalance: "",
    ThirdPartyTransID: "",
    MSISDN: "2547 ***** 126",
    FirstName: "JANE",
  });

async function post(body: string, from: string) {
  const response = await fetch(`${app.appUrl}/hooks/daraja/c2b/confirmation/${CALLBACK_TOKEN}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Forwarded-For": from },
    body,
  });
  expect(response.status).toBe(200); // acknowledged whatever happens next
  await app.ctx.callbackQueue.idle();
}

const rowsFor = (transId: string) =>
  app.ctx.db
    .select()
    .from(rawCallbacks)
    .where(eq(rawCallbacks.receipt, transId))
    .orderBy(rawCallbacks.id);

it("holds a C2B success from outside the allow-list: the payment stays open and no money is recorded", async () => {
  const payment = await pendingPayment(app, support, { amount: 640 });
  const transId = freshReceipt();
  await post(confirmation(payment, transId), ELSEWHERE);

  expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("pending");
  expect(await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, transId))).toEqual([]);
  const [held] = await rowsFor(transId);
  expect(held).toMatchObject({ sourceTrusted: false, paymentId: null });
  expect(held.outcomeDetail).toMatch(/^held: untrusted source \(10\.9\.9\.9\)/);

  // Nothing vouches for it yet: the periodic re-check leaves it held.
  expect(await corroborateHeldC2b(app.ctx)).toBe(0);

  // Daraja's retry from a Safaricom address is trusted and settles the payment; the held row, now
  // corroborated, becomes one more witness of the same receipt, not a second sum.
  await post(confirmation(payment, transId), SAFARICOM);
  expect((await getPaymentView(app.ctx.db, payment.id))!).toMatchObject({
    status: "paid",
    receipt: transId,
  });
  expect(await corroborateHeldC2b(app.ctx)).toBe(1);
  expect((await rowsFor(transId)).map((r) => r.outcome)).toEqual(["duplicate", "applied"]);
  const ledger = await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, transId));
  expect(ledger).toHaveLength(1);
  expect(ledger[0]).toMatchObject({ paymentId: payment.id, amountKes: 640 });
});

it("settles a C2B success from an allowed address at once", async () => {
  const payment = await pendingPayment(app, support, { amount: 645 });
  const transId = freshReceipt();
  await post(confirmation(payment, transId), SAFARICOM);
  expect((await getPaymentView(app.ctx.db, payment.id))!).toMatchObject({
    status: "paid",
    receipt: transId,
  });
});

const storeOnly = (body: string) =>
  recordCallback(app.ctx, {
    kind: "c2b_confirmation",
    tokenValid: true,
    body: Buffer.from(body),
    sizeBytes: Buffer.byteLength(body),
    headers: new Headers(),
    sourceIp: SAFARICOM,
  });

it("applies a stored confirmation the process never got to, in the recovery sweep", async () => {
  const payment = await pendingPayment(app, support, { amount: 650 });
  const transId = freshReceipt();
  const raw = await storeOnly(confirmation(payment, transId)); // acknowledged, then the process died
  expect(raw.outcome).toBe("received");
  expect(await recoverStaleCallbacks(app.ctx, { olderThanMs: 0 })).toEqual({
    recovered: 1,
    failed: 0,
  });
  expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("paid");
  expect((await rowsFor(transId)).map((r) => r.outcome)).toEqual(["applied"]);
});

it("re-processes a still-received confirmation from the console, and refuses one already applied", async () => {
  const finance = actorFor(await makeUser(app.ctx, "finance"));
  const payment = await pendingPayment(app, support, { amount: 655 });
  const transId = freshReceipt();
  const raw = await storeOnly(confirmation(payment, transId));
  const result = await reprocessFromConsole(app.ctx, finance, raw.id);
  expect(result).toEqual({
    outcome: "applied",
    message: "Re-processed: the callback is now applied.",
  });
  expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("paid");
  await expect(reprocessFromConsole(app.ctx, finance, raw.id)).rejects.toMatchObject({
    code: "not_reprocessable",
    status: 409,
  });
});

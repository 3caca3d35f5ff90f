// C2B confirmations through the real hook routes, sent by the simulator (docs/daraja.md#c2b):
// plain, masked and hashed MSISDNs; a confirmation of an STK receipt is another witness, never a
// second sum of money; unmatched money opens `unmatched_c2b`; validation is always accepted.
import { and, eq, sum } from "drizzle-orm";
import { exceptions, rawCallbacks, receipts } from "../../../db/schema";
import { CALLBACK_TOKEN, startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser, PHONES } from "../../../tests/support/factories";
import {
  freshReceipt,
  paidPayment,
  paymentInStatus,
  pendingPayment,
  receiptPendingPayment,
  shortRef,
} from "../../../tests/support/reconciliation";
import type { Actor } from "../auth/staff-audit.server";
import { getPaymentView } from "../payments/queries.server";
import { c2bUrls, registerC2bUrls } from "./c2b.server";
import { sha256Msisdn } from "./msisdn-match.server";

let app: TestApp;
let support: Actor;

beforeAll(async () => {
  app = await startTestApp();
  support = actorFor(await makeUser(app.ctx, "support"));
  await registerC2bUrls(app.ctx);
});
afterAll(async () => app?.close());

type Confirm = {
  amount: number;
  billRefNumber: string;
  transId?: string;
  msisdn?: string;
  msisdnFormat?: "plain" | "masked" | "hashed";
};
async function confirm(input: Confirm) {
  const sent = await app.control("c2b/confirm", { transId: freshReceipt(), ...input });
  await app.ctx.callbackQueue.idle(); // acknowledged first, applied off the request path
  const [raw] = await app.ctx.db
    .select()
    .from(rawCallbacks)
    .where(
      and(
        eq(rawCallbacks.kind, "c2b_confirmation"),
        eq(rawCallbacks.receipt, sent.payload.TransID),
      ),
    );
  return { transId: sent.payload.TransID as string, delivery: sent.delivery, raw };
}

it("registers the confirmation and validation URLs with Daraja", async () => {
  const state = await app.control("state");
  expect(state.c2bRegistrations).toEqual([
    expect.objectContaining({
      confirmationUrl: `${app.appUrl}/hooks/daraja/c2b/confirmation/${CALLBACK_TOKEN}`,
      validationUrl: `${app.appUrl}/hooks/daraja/c2b/validation/${CALLBACK_TOKEN}`,
    }),
  ]);
  expect(c2bUrls(app.ctx.config).problems).toEqual([]);
});

describe("new money", () => {
  it("with a masked MSISDN pays the open payment with that BillRefNumber and amount, acknowledged with ResultCode 0", async () => {
    const payment = await pendingPayment(app, support, { amount: 880 });
    const sent = await confirm({
      amount: 880,
      billRefNumber: ` ${payment.accountReference.toLowerCase()} `,
      msisdn: payment.phone,
      msisdnFormat: "masked",
    });
    expect(sent.delivery).toMatchObject({ status: 200, error: null });
    expect(sent.raw).toMatchObject({ outcome: "applied", paymentId: payment.id, tokenValid: true });
    const after = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(after).toMatchObject({ status: "paid", receipt: sent.transId, receiptPending: false });
    expect(after.attempts[0]).toMatchObject({ status: "paid", receipt: sent.transId });
    const [ledger] = await app.ctx.db
      .select()
      .from(receipts)
      .where(eq(receipts.receipt, sent.transId));
    expect(ledger).toMatchObject({
      firstSource: "c2b",
      seenInC2b: true,
      paymentId: payment.id,
      msisdnKind: "masked",
      billRefNorm: payment.accountReference,
      payerName: "JOHN",
    });
  });

  it("with a hashed MSISDN picks, of two payments with the same reference and amount, the one whose phone hashes to it", async () => {
    const ref = shortRef("HSH");
    await app.control("next-outcome", { outcome: "never" });
    const first = await pendingPayment(app, support, {
      orderRef: ref,
      amount: 990,
      phone: "254711000001",
    });
    await app.control("next-outcome", { outcome: "never" });
    const second = await pendingPayment(app, support, {
      orderRef: `${ref}.`,
      amount: 990,
      phone: "254711000002",
    });
    const sent = await confirm({
      amount: 990,
      billRefNumber: first.accountReference,
      msisdn: "254711000002",
      msisdnFormat: "hashed",
    });
    expect(sent.raw.outcome).toBe("applied");
    expect((await getPaymentView(app.ctx.db, second.id))!.status).toBe("paid");
    expect((await getPaymentView(app.ctx.db, first.id))!.status).toBe("pending");
    const [ledger] = await app.ctx.db
      .select()
      .from(receipts)
      .where(eq(receipts.receipt, sent.transId));
    expect(ledger).toMatchObject({ msisdnKind: "hashed", msisdnRaw: sha256Msisdn("254711000002") });
  });

  it("with a plain MSISDN and no matching payment opens unmatched_c2b and keeps the money unowned", async () => {
    const sent = await confirm({
      amount: 4_321,
      billRefNumber: "NO SUCH ORDER",
      msisdn: "254722000333",
      msisdnFormat: "plain",
    });
    expect(sent.raw).toMatchObject({ outcome: "orphan", paymentId: null });
    const [x] = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.receipt, sent.transId));
    expect(x).toMatchObject({
      type: "unmatched_c2b",
      amountAtStakeKes: 4_321,
      rawCallbackId: sent.raw.id,
      status: "open",
    });
    const [ledger] = await app.ctx.db
      .select()
      .from(receipts)
      .where(eq(receipts.receipt, sent.transId));
    expect(ledger).toMatchObject({
      paymentId: null,
      phone: "254722000333",
      msisdnKind: "plain",
      billRefRaw: "NO SUCH ORDER",
    });
  });

  it("with a TransID that is not a receipt number leaves the payment it fits alone and opens unmatched_c2b", async () => {
    const payment = await pendingPayment(app, support, { amount: 885 });
    const transId = freshReceipt().slice(0, 6).toLowerCase();
    const sent = await confirm({
      amount: 885,
      billRefNumber: payment.accountReference,
      transId,
      msisdn: payment.phone,
      msisdnFormat: "masked",
    });
    expect(sent.raw).toMatchObject({ outcome: "conflict", paymentId: payment.id });
    expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("pending");
    const [x] = await app.ctx.db.select().from(exceptions).where(eq(exceptions.receipt, transId));
    expect(x).toMatchObject({
      type: "unmatched_c2b",
      paymentId: payment.id,
      amountAtStakeKes: 885,
      rawCallbackId: sent.raw.id,
      status: "open",
    });
    expect(x.summary).toMatch(/could not be placed on the payment it fits: Not complete evidence/);
  });

  it("for a payment already marked expired records late_success instead of flipping its status", async () => {
    const payment = await paymentInStatus(app, support, "expired", {
      phone: PHONES.unreachable,
      amount: 515,
    });
    const sent = await confirm({
      amount: 515,
      billRefNumber: payment.accountReference,
      msisdnFormat: "hashed",
      msisdn: PHONES.unreachable,
    });
    expect(sent.raw.outcome).toBe("conflict");
    const after = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(after.status).toBe("expired");
    expect(after.openExceptions).toEqual([expect.objectContaining({ type: "late_success" })]);
    expect(after.receipts.map((r) => r.receipt)).toEqual([sent.transId]);
  });
});

describe("a receipt we already know", () => {
  it("from an STK callback attaches as another witness: no second sum of money", async () => {
    const payment = await paidPayment(app, support, { amount: 1_700 });
    const [{ before }] = await app.ctx.db
      .select({ before: sum(receipts.amountKes) })
      .from(receipts);
    const sent = await confirm({
      amount: 1_700,
      billRefNumber: payment.accountReference,
      transId: payment.receipt!,
      msisdn: payment.phone,
      msisdnFormat: "hashed",
    });
    expect(sent.raw).toMatchObject({ outcome: "duplicate", paymentId: payment.id });
    const [{ after }] = await app.ctx.db.select({ after: sum(receipts.amountKes) }).from(receipts);
    expect(after).toBe(before);
    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view).toMatchObject({ status: "paid", receipt: payment.receipt });
    expect(view.receipts).toEqual([
      expect.objectContaining({
        receipt: payment.receipt,
        amount: 1_700,
        sources: ["callback", "c2b"],
      }),
    ]);
    expect(view.openExceptions).toEqual([]);
  });

  it("from an earlier confirmation (Daraja retried) is a duplicate too", async () => {
    const first = await confirm({ amount: 55, billRefNumber: "RETRY-1", msisdnFormat: "masked" });
    const again = await app.control("c2b/confirm", {
      transId: first.transId,
      amount: 55,
      billRefNumber: "RETRY-1",
      msisdnFormat: "masked",
    });
    await app.ctx.callbackQueue.idle();
    expect(again.delivery.status).toBe(200);
    const rows = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.receipt, first.transId))
      .orderBy(rawCallbacks.id);
    expect(rows.map((r) => r.outcome)).toEqual(["orphan", "duplicate"]);
    expect(
      await app.ctx.db.select().from(exceptions).where(eq(exceptions.receipt, first.transId)),
    ).toHaveLength(1);
  });
});

describe("the hooks themselves", () => {
  const post = async (
    kind: "confirmation" | "validation",
    body: string,
    token = CALLBACK_TOKEN,
  ) => {
    const response = await fetch(`${app.appUrl}/hooks/daraja/c2b/${kind}/${token}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    await app.ctx.callbackQueue.idle(); // acknowledged first, applied off the request path
    return response;
  };

  it("validation answers Accepted with a string ResultCode and keeps the raw request", async () => {
    const body = JSON.stringify({
      TransactionType: "Pay Bill",
      TransID: "TCV1VALID0",
      TransTime: "20250314101539",
      TransAmount: "10.00",
      BusinessShortCode: "174379",
      BillRefNumber: "INV-1",
      OrgAccountBalance: "",
      MSISDN: "2547 ***** 126",
      FirstName: "JANE",
    });
    const response = await post("validation", body);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"ResultCode":"0","ResultDesc":"Accepted"}');
    const [raw] = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.kind, "c2b_validation"));
    expect(raw).toMatchObject({ outcome: "applied", receipt: "TCV1VALID0" });
    expect(Buffer.from(raw.body).toString("utf8")).toBe(body);
  });

  it("a malformed confirmation is stored, marked invalid and still acknowledged", async () => {
    const response = await post("confirmation", "{not json");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ResultCode: 0, ResultDesc: "Success" });
    const rows = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.kind, "c2b_confirmation"))
      .orderBy(rawCallbacks.id);
    expect(rows[rows.length - 1]).toMatchObject({
      outcome: "invalid",
      outcomeDetail: expect.stringMatching(/not JSON/),
    });
  });

  it("a wrong token is answered 404 and recorded as rejected, never processed", async () => {
    const response = await post(
      "confirmation",
      JSON.stringify({
        TransID: "TCWRONGTOK",
        TransTime: "20250314101539",
        TransAmount: "10.00",
        BusinessShortCode: "174379",
      }),
      "wrong-token-12345",
    );
    expect(response.status).toBe(404);
    const rows = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.kind, "c2b_confirmation"))
      .orderBy(rawCallbacks.id);
    expect(rows[rows.length - 1]).toMatchObject({
      outcome: "rejected",
      tokenValid: false,
      receipt: null,
    });
    expect(
      await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, "TCWRONGTOK")),
    ).toEqual([]);
  });
});

it("gives a paid payment whose receipt was pending (STK Query said paid) its receipt", async () => {
  const payment = await receiptPendingPayment(app, support, { amount: 1_010 });
  const sent = await confirm({
    amount: 1_010,
    billRefNumber: payment.accountReference,
    msisdn: payment.phone,
    msisdnFormat: "hashed",
  });
  expect(sent.raw.outcome).toBe("applied");
  const after = (await getPaymentView(app.ctx.db, payment.id))!;
  expect(after).toMatchObject({ status: "paid", receipt: sent.transId, receiptPending: false });
  expect(after.timeline.map((e) => e.type)).toContain("receipt_attached");
});

// Callbacks whose identifiers are far longer than any real one (a 4,000-character receipt,
// CheckoutRequestID, MerchantRequestID, TransID or ResultCode). PostgreSQL refuses a btree entry over
// ~2.7 KB, so any such text that reached an index (the receipts key, a case's dedupe key, the raw
// log's identifier columns) failed the row's transaction, and the applier retried it every 30 s for
// ever. Each must end with a terminal outcome instead, through the batch and one at a time. The
// identifiers are random, so PostgreSQL cannot compress them under its limit. Passes on PGlite and on
// PostgreSQL (TEST_DATABASE_URL).
import { randomBytes } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { exceptions, payments, rawCallbacks, receipts } from "../../../db/schema";
import {
  startTestApp,
  stkCallbackBody,
  storeCallback,
  type TestApp,
} from "../../../tests/support/app";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import { toDarajaTimestamp } from "../../lib/time";
import { parseC2bConfirmation } from "../reconciliation/c2b-parse";
import { isWellFormedReceipt } from "../ledger/transitions";
import { parseStkCallback } from "./parse";
import { applyStoredCallbacks } from "./queue.server";
import { processStkCallback } from "./intake.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

/** `n` random upper-case letters and digits: what a receipt is made of, but far too many. */
function noise(n: number): string {
  let text = "";
  while (text.length < n)
    text += randomBytes(n)
      .toString("base64")
      .replace(/[^A-Z0-9]/g, "");
  return text.slice(0, n);
}

let seq = 0;
const checkoutId = () => `ws_CO_long_${process.pid}_${(seq += 1)}_${noise(6)}`;
const LATER = new Date(Date.now() + 3_600_000); // the poller leaves these alone

async function pendingAttempt(amountKes = 100) {
  const [due] = await insertDueAttempts(app.ctx.db, [checkoutId()], {
    amountKes,
    nextPollAt: LATER,
  });
  return due;
}

/** The body with its stkCallback changed by `edit`. */
function stkBody(input: Parameters<typeof stkCallbackBody>[0], edit?: (stk: any) => void) {
  const body = JSON.parse(stkCallbackBody(input));
  edit?.(body.Body.stkCallback);
  return JSON.stringify(body);
}

function c2bBody(transId: string) {
  return JSON.stringify({
    TransactionType: "Pay Bill",
    TransID: transId,
    TransTime: toDarajaTimestamp(new Date()),
    TransAmount: "250.00",
    BusinessShortCode: "600000",
    BillRefNumber: "NOPAYMENT",
    MSISDN: "254712345678",
    FirstName: "Jane",
  });
}

const rawRow = async (id: number) =>
  (await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, id)))[0];

/**
 * Applies what is stored as the applier does, and says whether the batch went through whole (a batch
 * that throws is logged at warn and re-applied one row at a time; a row that throws then is retried).
 */
async function applyAll() {
  const warn = vi.spyOn(app.ctx.log, "warn");
  try {
    const result = await applyStoredCallbacks(app.ctx, { limit: 50 });
    return { ...result, batchFailed: warn.mock.calls.length > 0 };
  } finally {
    warn.mockRestore();
  }
}

describe("the parsers refuse identifiers no real callback carries", () => {
  it("a CheckoutRequestID or MerchantRequestID over 100 characters is malformed", () => {
    const long = stkBody({ checkoutRequestId: `ws_CO_${noise(4000)}` });
    expect(parseStkCallback(long)).toEqual({
      ok: false,
      reason: "CheckoutRequestID is 4006 characters long; an identifier has at most 100",
    });
    const merchant = stkBody({ checkoutRequestId: "ws_CO_1" }, (stk) => {
      stk.MerchantRequestID = noise(101);
    });
    expect(parseStkCallback(merchant)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^MerchantRequestID is 101 characters long/),
    });
    // 100 is still an identifier.
    expect(parseStkCallback(stkBody({ checkoutRequestId: noise(100) })).ok).toBe(true);
  });

  it("a receipt over 100 characters becomes a short stand-in that can never be well formed", () => {
    const receipt = noise(4000);
    const parsed = parseStkCallback(stkBody({ checkoutRequestId: "ws_CO_1", receipt }));
    expect(parsed.ok).toBe(true);
    const got = parsed.ok ? parsed.callback.receipt! : "";
    expect(got).toBe(`${receipt.slice(0, 40)}… (4000 characters)`);
    expect(isWellFormedReceipt(got)).toBe(false);
  });

  it("a C2B TransID over 100 characters is not a receipt number", () => {
    expect(parseC2bConfirmation(c2bBody(noise(4000)))).toEqual({
      ok: false,
      reason: "TransID is 4000 characters long, not a receipt number (at most 100)",
    });
    expect(parseC2bConfirmation(c2bBody(noise(100))).ok).toBe(true);
  });
});

describe("a callback with a 4,000-character identifier ends with an outcome, never retried", () => {
  it("a success with a 4,000-character MpesaReceiptNumber on a known attempt: conflict and a case", async () => {
    const due = await pendingAttempt();
    const raw = await storeCallback(
      app.ctx,
      stkBody({ checkoutRequestId: due.checkoutRequestId, receipt: noise(4000) }),
    );
    expect(await applyAll()).toEqual({ claimed: 1, failed: 0, batchFailed: false });

    const row = await rawRow(raw.id);
    expect(row).toMatchObject({ outcome: "conflict", paymentId: due.paymentId });
    expect(row.receipt!.length).toBeLessThanOrEqual(100);
    const [payment] = await app.ctx.db
      .select()
      .from(payments)
      .where(eq(payments.id, due.paymentId));
    expect(payment).toMatchObject({ status: "unknown", receipt: null });
    const cases = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.paymentId, due.paymentId));
    expect(cases).toEqual([
      expect.objectContaining({ type: "conflicting_callback", rawCallbackId: raw.id }),
    ]);
    expect(cases[0].summary).toMatch(/malformed receipt number/);
    expect(cases[0].dedupeKey.length).toBeLessThanOrEqual(300);
  });

  it("a 4,000-character CheckoutRequestID (the orphan path): invalid", async () => {
    const raw = await storeCallback(app.ctx, stkBody({ checkoutRequestId: noise(4000) }));
    expect(await applyAll()).toEqual({ claimed: 1, failed: 0, batchFailed: false });
    expect(await rawRow(raw.id)).toMatchObject({
      outcome: "invalid",
      outcomeDetail: "CheckoutRequestID is 4000 characters long; an identifier has at most 100",
      checkoutRequestId: null,
    });
  });

  it("a 4,000-character C2B TransID: invalid", async () => {
    const raw = await storeCallback(app.ctx, c2bBody(noise(4000)), "c2b_confirmation");
    expect(await applyAll()).toEqual({ claimed: 1, failed: 0, batchFailed: false });
    expect(await rawRow(raw.id)).toMatchObject({
      outcome: "invalid",
      outcomeDetail: expect.stringMatching(/^TransID is 4000 characters long/),
      receipt: null,
    });
    expect(await app.ctx.db.select().from(receipts).where(eq(receipts.firstSource, "c2b"))).toEqual(
      [],
    );
  });

  it("orphans with a 4,000-character receipt or ResultCode open their case under a bounded key", async () => {
    const success = await storeCallback(
      app.ctx,
      stkBody({ checkoutRequestId: checkoutId(), receipt: noise(4000) }),
    );
    const failure = await storeCallback(
      app.ctx,
      stkBody({ checkoutRequestId: checkoutId(), resultCode: noise(4000) }),
    );
    expect(await applyAll()).toEqual({ claimed: 2, failed: 0, batchFailed: false });
    for (const id of [success.id, failure.id]) expect((await rawRow(id)).outcome).toBe("orphan");
    const cases = await app.ctx.db
      .select()
      .from(exceptions)
      .where(inArray(exceptions.rawCallbackId, [success.id, failure.id]));
    expect(cases.map((c) => c.type)).toEqual(["orphan_callback", "orphan_callback"]);
    for (const c of cases) expect(c.dedupeKey.length).toBeLessThanOrEqual(300);
    // The stand-in is no receipt: no money recorded for it.
    expect(
      await app.ctx.db.select().from(receipts).where(eq(receipts.firstSource, "stk_callback")),
    ).toEqual([]);

    // Applied again (a re-process), the same fact opens no second case.
    expect(await processStkCallback(app.ctx, failure.id)).toBe("orphan");
    expect(
      await app.ctx.db.select().from(exceptions).where(eq(exceptions.rawCallbackId, failure.id)),
    ).toHaveLength(1);
  });

  it("a failure with a 4,000-character ResultCode after the attempt was paid: conflict, case under a bounded key", async () => {
    const due = await pendingAttempt();
    await storeCallback(
      app.ctx,
      stkBody({ checkoutRequestId: due.checkoutRequestId, receipt: noise(10) }),
    );
    await applyAll();
    const raw = await storeCallback(
      app.ctx,
      stkBody({ checkoutRequestId: due.checkoutRequestId, resultCode: noise(4000) }),
    );
    expect(await applyAll()).toEqual({ claimed: 1, failed: 0, batchFailed: false });
    expect((await rawRow(raw.id)).outcome).toBe("conflict");
    const [payment] = await app.ctx.db
      .select()
      .from(payments)
      .where(eq(payments.id, due.paymentId));
    expect(payment.status).toBe("paid");
    const [found] = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.rawCallbackId, raw.id));
    expect(found.dedupeKey.length).toBeLessThanOrEqual(300);
  });

  it("a 4,000-character MerchantRequestID on a known, pending attempt: invalid, linked to its payment", async () => {
    const due = await pendingAttempt();
    const raw = await storeCallback(
      app.ctx,
      stkBody({ checkoutRequestId: due.checkoutRequestId }, (stk) => {
        stk.MerchantRequestID = noise(4000);
      }),
    );
    expect(await applyAll()).toEqual({ claimed: 1, failed: 0, batchFailed: false });
    expect(await rawRow(raw.id)).toMatchObject({
      outcome: "invalid",
      attemptId: due.attemptId,
      paymentId: due.paymentId,
    });
  });

  it("all of them in one batch", async () => {
    const due = await pendingAttempt();
    const rows = [
      await storeCallback(
        app.ctx,
        stkBody({ checkoutRequestId: due.checkoutRequestId, receipt: noise(4000) }),
      ),
      await storeCallback(app.ctx, stkBody({ checkoutRequestId: noise(4000) })),
      await storeCallback(
        app.ctx,
        stkBody({ checkoutRequestId: checkoutId(), resultCode: noise(4000) }),
      ),
      await storeCallback(app.ctx, c2bBody(noise(4000)), "c2b_confirmation"),
    ];
    expect(await applyAll()).toEqual({ claimed: 4, failed: 0, batchFailed: false });
    const outcomes = await app.ctx.db
      .select({ outcome: rawCallbacks.outcome })
      .from(rawCallbacks)
      .where(
        inArray(
          rawCallbacks.id,
          rows.map((r) => r.id),
        ),
      )
      .orderBy(rawCallbacks.id);
    expect(outcomes.map((o) => o.outcome)).toEqual(["conflict", "invalid", "orphan", "invalid"]);
  });
});

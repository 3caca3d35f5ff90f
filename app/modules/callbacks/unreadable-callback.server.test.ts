// STK callbacks we cannot read as sent: a UTF-8 byte-order mark in front of the JSON is skipped; a
// body that cannot be read at all, but whose CheckoutRequestID intake found, is linked to that
// attempt's payment and, when the attempt already has its final answer, put in front of a person.
import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { exceptions, paymentEvents, payments, rawCallbacks } from "../../../db/schema";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  storeCallback,
  type TestApp,
} from "../../../tests/support/app";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import { toDarajaTimestamp } from "../../lib/time";
import { parseC2bConfirmation } from "../reconciliation/c2b-parse";
import { processStkCallback } from "./intake.server";
import { applyStoredCallbacks } from "./queue.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const withBom = (text: string) => Buffer.concat([BOM, Buffer.from(text)]);
const tag = () => randomBytes(4).toString("hex").toUpperCase();
const receipt = () => `TU${tag()}`;

async function pendingAttempt(amountKes = 100) {
  const [due] = await insertDueAttempts(app.ctx.db, [`ws_CO_unread_${tag()}`], {
    amountKes,
    nextPollAt: new Date(Date.now() + 3_600_000),
  });
  return due;
}

/** A body cut short: not JSON, but intake's scan still finds its CheckoutRequestID. */
const cutShort = (checkoutRequestId: string) =>
  stkCallbackBody({ checkoutRequestId, receipt: receipt() }).slice(0, -12);

const rawRow = async (id: number) =>
  (await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, id)))[0];
const paymentOf = async (id: string) =>
  (await app.ctx.db.select().from(payments).where(eq(payments.id, id)))[0];
const casesOf = (paymentId: string) =>
  app.ctx.db.select().from(exceptions).where(eq(exceptions.paymentId, paymentId));

async function settle(checkoutRequestId: string, resultCode = 0, amount = 100) {
  const raw = await storeCallback(
    app.ctx,
    stkCallbackBody({ checkoutRequestId, resultCode, amount, receipt: receipt() }),
  );
  await processStkCallback(app.ctx, raw.id);
}

describe("a byte-order mark in front of the JSON", () => {
  it("is skipped: a success callback sent with one pays its payment (through the route)", async () => {
    const due = await pendingAttempt();
    const paid = receipt();
    const body = withBom(
      stkCallbackBody({ checkoutRequestId: due.checkoutRequestId, receipt: paid }),
    );
    expect((await postStkCallback(app, body)).status).toBe(200);
    const [raw] = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.checkoutRequestId, due.checkoutRequestId));
    expect([...raw.body.subarray(0, 3)]).toEqual([...BOM]); // stored byte for byte
    expect(raw).toMatchObject({ outcome: "applied", paymentId: due.paymentId });
    expect(await paymentOf(due.paymentId)).toMatchObject({ status: "paid", receipt: paid });
  });

  it("is skipped in a batch too", async () => {
    const [a, b] = [await pendingAttempt(), await pendingAttempt()];
    for (const due of [a, b])
      await storeCallback(
        app.ctx,
        withBom(stkCallbackBody({ checkoutRequestId: due.checkoutRequestId, receipt: receipt() })),
      );
    expect(await applyStoredCallbacks(app.ctx, { limit: 10 })).toEqual({ claimed: 2, failed: 0 });
    for (const due of [a, b]) expect((await paymentOf(due.paymentId)).status).toBe("paid");
  });

  it("is skipped in a C2B confirmation", () => {
    const body = JSON.stringify({
      TransactionType: "Pay Bill",
      TransID: receipt(),
      TransTime: toDarajaTimestamp(new Date()),
      TransAmount: "10",
      BusinessShortCode: "600000",
      BillRefNumber: "INV1",
      MSISDN: "254712345678",
    });
    expect(parseC2bConfirmation(`\uFEFF${body}`).ok).toBe(true);
  });
});

describe("a body that cannot be read, naming one of our attempts", () => {
  it("after the attempt was paid: invalid, linked to the payment, and a conflicting_callback case", async () => {
    const due = await pendingAttempt(250);
    await settle(due.checkoutRequestId, 0, 250);
    expect((await paymentOf(due.paymentId)).status).toBe("paid");
    const raw = await storeCallback(app.ctx, cutShort(due.checkoutRequestId));
    expect(raw.checkoutRequestId).toBe(due.checkoutRequestId); // intake's scan found it

    expect(await processStkCallback(app.ctx, raw.id)).toBe("invalid");
    const row = await rawRow(raw.id);
    expect(row).toMatchObject({
      outcome: "invalid",
      attemptId: due.attemptId,
      paymentId: due.paymentId,
    });
    expect(row.outcomeDetail).toMatch(/^invalid JSON at position \d+/);
    const cases = await casesOf(due.paymentId);
    expect(cases).toEqual([
      expect.objectContaining({
        type: "conflicting_callback",
        status: "open",
        attemptId: due.attemptId,
        rawCallbackId: raw.id,
        amountAtStakeKes: 0, // the paid money is already counted
      }),
    ]);
    const events = await app.ctx.db
      .select()
      .from(paymentEvents)
      .where(
        and(eq(paymentEvents.paymentId, due.paymentId), eq(paymentEvents.type, "exception_opened")),
      );
    expect(events).toHaveLength(1);
    // The payment itself is untouched.
    expect((await paymentOf(due.paymentId)).status).toBe("paid");

    // Applied again, or a second unreadable copy: still one case.
    expect(await processStkCallback(app.ctx, raw.id)).toBe("invalid");
    const again = await storeCallback(app.ctx, withBom(cutShort(due.checkoutRequestId)));
    expect(await processStkCallback(app.ctx, again.id)).toBe("invalid");
    expect(await rawRow(again.id)).toMatchObject({ paymentId: due.paymentId });
    expect(await casesOf(due.paymentId)).toHaveLength(1);
  });

  it("after the attempt was cancelled: the case holds the requested amount at stake", async () => {
    const due = await pendingAttempt(400);
    await settle(due.checkoutRequestId, 1032);
    expect((await paymentOf(due.paymentId)).status).toBe("cancelled");
    const raw = await storeCallback(app.ctx, cutShort(due.checkoutRequestId));
    expect(await processStkCallback(app.ctx, raw.id)).toBe("invalid");
    expect(await casesOf(due.paymentId)).toEqual([
      expect.objectContaining({ type: "conflicting_callback", amountAtStakeKes: 400 }),
    ]);
  });

  it("while the attempt is still pending: linked, but no case (STK Query settles it)", async () => {
    const due = await pendingAttempt();
    const raw = await storeCallback(app.ctx, cutShort(due.checkoutRequestId));
    expect(await processStkCallback(app.ctx, raw.id)).toBe("invalid");
    expect(await rawRow(raw.id)).toMatchObject({
      outcome: "invalid",
      attemptId: due.attemptId,
      paymentId: due.paymentId,
      outcomeDetail: expect.stringMatching(/STK Query settles it/),
    });
    expect(await casesOf(due.paymentId)).toEqual([]);
    expect((await paymentOf(due.paymentId)).status).toBe("pending");
  });

  it("through the batch applier: the same link and case", async () => {
    const [paid, pending] = [await pendingAttempt(), await pendingAttempt()];
    await settle(paid.checkoutRequestId);
    const rows = [
      await storeCallback(app.ctx, cutShort(paid.checkoutRequestId)),
      await storeCallback(app.ctx, cutShort(pending.checkoutRequestId)),
      await storeCallback(app.ctx, cutShort(`ws_CO_nobody_${tag()}`)),
    ];
    expect(await applyStoredCallbacks(app.ctx, { limit: 10 })).toEqual({ claimed: 3, failed: 0 });
    expect(await rawRow(rows[0].id)).toMatchObject({
      outcome: "invalid",
      paymentId: paid.paymentId,
    });
    expect(await rawRow(rows[1].id)).toMatchObject({
      outcome: "invalid",
      paymentId: pending.paymentId,
    });
    expect(await rawRow(rows[2].id)).toMatchObject({ outcome: "invalid", paymentId: null });
    expect((await casesOf(paid.paymentId)).map((c) => c.type)).toEqual(["conflicting_callback"]);
    expect(await casesOf(pending.paymentId)).toEqual([]);
    expect(
      await app.ctx.db.select().from(exceptions).where(eq(exceptions.rawCallbackId, rows[2].id)),
    ).toEqual([]);
  });
});

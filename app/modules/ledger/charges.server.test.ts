// M-Pesa's charge on a receipt: priced once by the ledger when the receipt is recorded, by the tariff
// version in force at the receipt's time, for its type and amount; never repriced when the tariff
// changes; null ("no tariff") when no band covers it; set-based for a statement's lines.
import fc from "fast-check";
import { eq, sql } from "drizzle-orm";
import { payments, receipts, stkAttempts } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import {
  freshReceipt,
  importLines,
  lineFor,
  paidPayment,
  receiptPendingPayment,
} from "../../../tests/support/reconciliation";
import type { Actor } from "../auth/staff-audit.server";
import { getRevenueDashboard } from "../reports/revenue.server";
import { rebuildPaymentStats } from "../reports/stats.server";
import { eatDay } from "../../lib/time";
import { findBand, type Band, type BandsByType } from "../tariffs/bands";
import { DARAJA_ACTOR } from "./events.server";
import { applyStatusEvidence } from "./money-out.server";
import { saveTariffVersion } from "../tariffs/tariffs.server";
import { claimReceipt, recordUnassignedReceipt } from "./receipts.server";

let app: TestApp;
let admin: Actor;
let support: Actor;

const at = (iso: string) => new Date(`${iso}+03:00`); // an EAT wall-clock time
const addVersion = (effectiveFrom: string, bands: Partial<BandsByType>) =>
  saveTariffVersion(app.ctx.db, admin, {
    effectiveFrom: at(effectiveFrom),
    label: `Test tariff from ${effectiveFrom}`,
    paybill: bands.paybill ?? [],
    buy_goods: bands.buy_goods ?? [],
  });

const V2024A: Band[] = [
  { minKes: 1, maxKes: 1_000, chargeKes: 10 },
  { minKes: 1_001, maxKes: 5_000, chargeKes: 20 },
];
const V2024B: BandsByType = {
  paybill: [
    { minKes: 1, maxKes: 100, chargeKes: 0 },
    { minKes: 101, maxKes: 1_000, chargeKes: 12 },
    { minKes: 1_001, maxKes: 5_000, chargeKes: 25 },
  ],
  buy_goods: [{ minKes: 1, maxKes: 5_000, chargeKes: 3 }],
};

async function witness(amountKes: number, when: string | null, txnType?: "paybill" | "buy_goods") {
  const receipt = freshReceipt();
  const { row } = await app.ctx.db.transaction((tx) =>
    recordUnassignedReceipt(tx, {
      receipt,
      amountKes,
      transactionAt: when ? at(when) : null,
      source: "c2b",
      txnType,
    }),
  );
  return row;
}

const receiptRow = async (receipt: string) =>
  (await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, receipt)))[0];

beforeAll(async () => {
  app = await startTestApp();
  admin = actorFor(await makeUser(app.ctx, "admin"));
  support = actorFor(await makeUser(app.ctx, "support"));
  await addVersion("2024-01-01T00:00:00", { paybill: V2024A });
  await addVersion("2024-07-01T00:00:00", V2024B);
});
afterAll(async () => app?.close());

describe("pricing a receipt when it is recorded", () => {
  it("uses the version in force at the receipt's time (M-Pesa's), for its type and amount", async () => {
    expect(await witness(500, "2024-03-01T10:00:00", "paybill")).toMatchObject({
      txnType: "paybill",
      chargeKes: 10,
    });
    // One second before the second version starts, and the moment it starts.
    expect((await witness(500, "2024-06-30T23:59:59", "paybill")).chargeKes).toBe(10);
    expect((await witness(500, "2024-07-01T00:00:00", "paybill")).chargeKes).toBe(12);
    expect((await witness(500, "2024-08-01T00:00:00", "buy_goods")).chargeKes).toBe(3);
  });

  it("stores no charge when no band covers the money, rather than inventing one", async () => {
    const beforeAnyTariff = await witness(500, "2023-12-31T23:00:00", "paybill");
    const aboveTheLastBand = await witness(6_000, "2024-08-01T00:00:00", "paybill");
    const tillBeforeTillBands = await witness(500, "2024-03-01T00:00:00", "buy_goods");
    const kindUnknown = await witness(500, "2024-08-01T00:00:00");
    for (const row of [beforeAnyTariff, aboveTheLastBand, tillBeforeTillBands, kindUnknown])
      expect(row).toMatchObject({ chargeKes: null, tariffVersionId: null });
  });

  it("agrees with the pure band lookup for any amount (the SQL join finds exactly one band)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6_000 }), async (amount) => {
        const row = await witness(amount, "2024-09-15T12:00:00", "paybill");
        expect(row.chargeKes).toBe(findBand(V2024B.paybill, amount)?.chargeKes ?? null);
      }),
      { numRuns: 25 },
    );
  });

  it("prices a receipt of unknown kind when a payment claims it, by the payment's prompt", async () => {
    const orphan = await witness(800, "2024-09-01T09:00:00");
    expect(orphan.chargeKes).toBeNull();
    const [payment] = await app.ctx.db
      .insert(payments)
      .values({
        orderRef: orderRef("TILL"),
        amountKes: 800,
        phone: PHONES.pays,
        description: "till",
        accountReference: "TILL",
        status: "pending",
      })
      .returning();
    const [attempt] = await app.ctx.db
      .insert(stkAttempts)
      .values({
        paymentId: payment.id,
        seq: 1,
        phone: PHONES.pays,
        amountKes: 800,
        status: "pending",
        requestBody: { TransactionType: "CustomerBuyGoodsOnline" },
      })
      .returning();
    await app.ctx.db.transaction((tx) =>
      claimReceipt(tx, {
        receipt: orphan.receipt,
        amountKes: 800,
        paymentId: payment.id,
        attemptId: attempt.id,
        source: "stk_callback",
      }),
    );
    expect(await receiptRow(orphan.receipt)).toMatchObject({
      paymentId: payment.id,
      txnType: "buy_goods",
      chargeKes: 3,
    });
  });

  it("prices the receipt Transaction Status brings to a payment paid with its receipt to come", async () => {
    const waiting = await receiptPendingPayment(app, support, { amount: 500 });
    const receipt = freshReceipt();
    await app.ctx.db.transaction((tx) =>
      applyStatusEvidence(tx, DARAJA_ACTOR, {
        paymentId: waiting.id,
        rawCallbackId: null,
        now: app.ctx.now(),
        evidence: {
          resultCode: "0",
          resultDesc: "The service request is processed successfully.",
          receipt,
          amountKes: 500,
          transactionStatus: "Completed",
          debitParty: `${waiting.phone} - CUSTOMER`,
          finalisedAt: at("2024-09-01T09:00:00"),
        },
      }),
    );
    expect(await receiptRow(receipt)).toMatchObject({ paymentId: waiting.id, chargeKes: 12 });
    // The payment carries it too: revenue's net counts it, not "paid with no receipt yet".
    const [row] = await app.ctx.db.select().from(payments).where(eq(payments.id, waiting.id));
    expect(row).toMatchObject({ receipt, receiptPending: false, chargeKes: 12 });
  });

  it("prices a statement's new lines set-based, by the Reason Type's kind and the completion time", async () => {
    const lines = [
      { receipt: freshReceipt(), amountKes: 900, reasonType: "Pay Bill Online" },
      { receipt: freshReceipt(), amountKes: 4_000, reasonType: "Pay Utility" },
      { receipt: freshReceipt(), amountKes: 900, reasonType: "Buy Goods" },
      { receipt: freshReceipt(), amountKes: 900, reasonType: "Salary Payment" },
    ].map((l, i) => ({ ...l, completedAt: at(`2024-10-0${i + 1}T08:00:00`), accountNo: "X" }));
    await importLines(app.ctx, support, lines);
    const priced = await Promise.all(lines.map((l) => receiptRow(l.receipt)));
    expect(priced.map((r) => [r.txnType, r.chargeKes])).toEqual([
      ["paybill", 12],
      ["paybill", 25],
      ["buy_goods", 3],
      [null, null],
    ]);
  });
});

describe("a tariff change", () => {
  it("never reprices a recorded receipt or the revenue it counted; new money uses the new version", async () => {
    await addVersion("2026-01-01T00:00:00", {
      paybill: [{ minKes: 1, maxKes: 10_000, chargeKes: 15 }],
    });
    const first = await paidPayment(app, support, { amount: 1_000 });
    expect(await receiptRow(first.receipt!)).toMatchObject({ txnType: "paybill", chargeKes: 15 });
    const today = eatDay(app.ctx.now());
    const before = (await getRevenueDashboard(app.ctx, { from: today, to: today })).report.totals;
    expect(before).toMatchObject({ revenueKes: 1_000, chargesKes: 15, netKes: 985 });

    // A new version effective from a time before that payment: the recorded charge stays.
    const since = new Date(app.ctx.now().getTime() - 3_600_000);
    await saveTariffVersion(app.ctx.db, admin, {
      effectiveFrom: since,
      label: "Renegotiated",
      paybill: [{ minKes: 1, maxKes: 10_000, chargeKes: 40 }],
      buy_goods: [],
    });
    expect((await receiptRow(first.receipt!)).chargeKes).toBe(15);
    const second = await paidPayment(app, support, { amount: 1_000 });
    expect((await receiptRow(second.receipt!)).chargeKes).toBe(40);
    // Matching the old receipt against a statement later does not reprice it either.
    await importLines(app.ctx, support, [lineFor(first)]);
    expect((await receiptRow(first.receipt!)).chargeKes).toBe(15);

    const after = (await getRevenueDashboard(app.ctx, { from: today, to: today })).report.totals;
    expect(after).toMatchObject({ revenueKes: 2_000, chargesKes: 55, netKes: 1_945 });
    await rebuildPaymentStats(app.ctx.db);
    const recounted = (await getRevenueDashboard(app.ctx, { from: today, to: today })).report;
    expect(recounted.totals).toEqual(after);
  });

  it("cannot rewrite a saved version: versions and bands are append-only in the database", async () => {
    const refusal = (query: ReturnType<typeof sql>) =>
      app.ctx.db.execute(query).then(
        () => "changed",
        (error: Error) => String((error.cause as Error | undefined)?.message ?? error.message),
      );
    expect(await refusal(sql`update tariff_bands set charge_kes = 0`)).toMatch(/append-only/);
    expect(await refusal(sql`delete from tariff_versions`)).toMatch(/append-only/);
    expect(
      (await receiptRow((await witness(500, "2024-08-01T00:00:00", "paybill")).receipt)).chargeKes,
    ).toBe(12);
  });
});

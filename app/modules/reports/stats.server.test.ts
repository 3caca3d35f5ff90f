// The reporting rollup stays exact: the payments trigger's deltas, folded in at any moment (even
// while payments change and other folds run), always add up to a recount of the payments table.
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/client";
import { createTestDatabase } from "../../../tests/support/db";
import { paymentStatsHelpers } from "../../../tests/support/payment-stats";
import { writePaymentStatus } from "../ledger/payments.server";
import { SYSTEM_ACTOR } from "../auth/staff-audit.server";
import { tariffBands, tariffVersions } from "../../../db/schema";
import { foldPaymentStats, readPaidWindows } from "./stats.server";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const { rollupAndRecount, newPayment, settle } = paymentStatsHelpers(() => database.db);

describe("the payment stats rollup", () => {
  it("counts a payment by the EAT hour it was requested and, once paid, by the EAT hour it was paid", async () => {
    const p = await newPayment(new Date("2025-06-01T20:59:00Z"), 900); // 23:59 EAT on 1 June
    await settle(p, "paid", new Date("2025-06-01T21:01:00Z")); // paid 00:01 EAT on 2 June
    await foldPaymentStats(database.db);
    const paid = await readPaidWindows(database.db, {
      first: { from: "2025-06-01 00:00", to: "2025-06-02 00:00" },
      second: { from: "2025-06-02 00:00", to: "2025-06-03 00:00" },
    });
    expect(paid).toEqual({
      first: { payments: 0, amountKes: 0, chargeKes: 0, uncharged: 0 },
      second: { payments: 1, amountKes: 900, chargeKes: 0, uncharged: 1 },
    });
    const { rollup, recount } = await rollupAndRecount();
    expect(rollup).toEqual(recount);
    expect(rollup).toContain("2025-06-01 23:00:00|created|paid|0=1/900/0/0");
  });

  it("carries each paid payment's M-Pesa charge, and counts the paid ones with none known", async () => {
    await database.db.insert(tariffVersions).values({
      id: "00000000-0000-4000-8000-00000000a001",
      effectiveFrom: new Date("2025-01-01T00:00:00Z"),
      label: "test",
    });
    await database.db.insert(tariffBands).values({
      versionId: "00000000-0000-4000-8000-00000000a001",
      txnType: "paybill",
      minKes: 1,
      maxKes: 1000,
      chargeKes: 7,
    });
    const priced = await newPayment(new Date("2025-06-05T09:00:00Z"), 600);
    const beyondTheTariff = await newPayment(new Date("2025-06-05T09:00:00Z"), 5000);
    const noReceiptYet = await newPayment(new Date("2025-06-05T09:00:00Z"), 300);
    const paidAt = new Date("2025-06-05T09:10:00Z"); // 12:10 EAT
    await settle(priced, "paid", paidAt, "TST0000001");
    await settle(beyondTheTariff, "paid", paidAt, "TST0000002");
    await settle(noReceiptYet, "paid", paidAt);
    const { day } = await readPaidWindows(database.db, {
      day: { from: "2025-06-05 00:00", to: "2025-06-06 00:00" },
    });
    expect(day).toEqual({ payments: 3, amountKes: 5900, chargeKes: 7, uncharged: 2 });
    const { rollup, recount } = await rollupAndRecount();
    expect(rollup).toEqual(recount);
    expect(rollup).toContain("2025-06-05 12:00:00|paid|paid|=3/5900/7/2");
  });

  it("stays exact when one statement writes many payments, and keeps one delta per hour and key it changed", async () => {
    const hour = new Date("2025-06-07T06:00:00Z"); // 09:00 EAT
    const many = [];
    for (let i = 0; i < 40; i++)
      many.push(await newPayment(new Date(hour.getTime() + i * 1000), 100));
    const ids = sql.join(
      many.map((p) => sql`${p.id}::uuid`),
      sql`, `,
    );
    await foldPaymentStats(database.db);
    // Forty payments paid in one UPDATE, within one EAT hour: two deltas (created, paid) for the
    // pending ones leaving, the paid ones arriving, and the paid hour, not 120 rows.
    await database.db
      .execute(sql`update payments set status = 'paid', paid_at = ${new Date(hour.getTime() + 600_000).toISOString()}::timestamptz,
      updated_at = now() where id in (${ids})`);
    const deltas = rowsOf<{ key: string; payments: number | string }>(
      await database.db.execute(
        sql`select concat_ws('|', eat_hour, basis, status) as key, payments from payment_stat_deltas order by 1`,
      ),
    );
    expect(deltas.map((d) => `${d.key}=${Number(d.payments)}`)).toEqual([
      "2025-06-07 09:00:00|created|paid=40",
      "2025-06-07 09:00:00|created|pending=-40",
      "2025-06-07 09:00:00|paid|paid=40",
    ]);
    // A statement that changes nothing the rollup counts adds no delta at all.
    await database.db.execute(sql`update payments set updated_at = now() where id in (${ids})`);
    expect(rowsOf(await database.db.execute(sql`select 1 from payment_stat_deltas`))).toHaveLength(
      3,
    );
    // Half refunded and half given a charge, in one statement each: still exactly a recount.
    await database.db.execute(sql`update payments set status = 'refunded'
      where id in (${ids}) and order_ref < (select percentile_disc(0.5) within group (order by order_ref) from payments where id in (${ids}))`);
    await database.db.execute(
      sql`update payments set charge_kes = 5 where id in (${ids}) and status = 'paid'`,
    );
    const { rollup, recount } = await rollupAndRecount();
    expect(rollup).toEqual(recount);
    await foldPaymentStats(database.db);
    const folded = await rollupAndRecount();
    expect(folded.rollup).toEqual(folded.recount);
  });

  it("stays exact when a paid payment is refunded and folding twice changes nothing", async () => {
    const p = await newPayment(new Date("2025-06-03T09:00:00Z"), 400);
    await settle(p, "paid", new Date("2025-06-03T09:01:00Z"));
    await foldPaymentStats(database.db);
    await database.db.transaction((tx) =>
      writePaymentStatus(tx, SYSTEM_ACTOR, { id: p.id, status: "paid" }, "refunded", {
        now: new Date("2025-06-04T09:00:00Z"),
        reason: "refunded",
      }),
    );
    await foldPaymentStats(database.db);
    await foldPaymentStats(database.db);
    const { rollup, recount } = await rollupAndRecount();
    expect(rollup).toEqual(recount);
    expect(rowsOf(await database.db.execute(sql`select 1 from payment_stat_deltas`))).toHaveLength(
      0,
    );
  });
});

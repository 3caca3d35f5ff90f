// The reporting rollup under concurrency, which only a multi-connection PostgreSQL can show.
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../../db/client";
import { payments, type Payment } from "../../../db/schema";
import { createTestDatabase } from "../../../tests/support/db";
import { orderRef } from "../../../tests/support/factories";
import { writePaymentStatus } from "../payments/apply.server";
import { SYSTEM_ACTOR } from "../auth/staff-audit.server";
import { foldPaymentStats, readPaidWindows } from "./stats.server";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

/** The rollup as it reads now (folded rows plus pending deltas), against a recount from payments. */
async function rollupAndRecount() {
  const db = database.db;
  const read = async (query: ReturnType<typeof sql>) => rowsOf<{ k: string; n: number; a: number }>(await db.execute(query))
    .map((r) => `${r.k}=${Number(r.n)}/${Number(r.a)}`).sort();
  const rollup = await read(sql`select concat_ws('|', eat_hour, basis, status, result_code) as k, sum(payments) as n, sum(amount_kes) as a
    from (select * from payment_stats union all select eat_hour, basis, status, result_code, payments, amount_kes from payment_stat_deltas) s
    group by 1 having sum(payments) <> 0`);
  const recount = await read(sql`select concat_ws('|', eat_hour, basis, status, result_code) as k, n, a from (
      select eat_hour(created_at) as eat_hour, 'created' as basis, status, coalesce(result_code, '') as result_code, count(*) as n, sum(amount_kes) as a from payments group by 1, 3, 4
      union all
      select eat_hour(paid_at), 'paid', 'paid', '', count(*), sum(amount_kes) from payments where status = 'paid' and paid_at is not null group by 1) r`);
  return { rollup, recount };
}

async function newPayment(createdAt: Date, amountKes: number): Promise<Payment> {
  const [p] = await database.db.insert(payments).values({
    orderRef: orderRef("STAT"), amountKes, phone: "254708000001", description: "", accountReference: "STAT", status: "pending", createdAt, updatedAt: createdAt,
  }).returning();
  return p;
}

const settle = (p: Payment, to: "paid" | "cancelled" | "failed", now: Date) =>
  database.db.transaction((tx) => writePaymentStatus(tx, SYSTEM_ACTOR, p, to, { now, reason: "test", resultCode: to === "paid" ? "0" : to === "cancelled" ? "1032" : "1" }));

describe("the rollup under concurrency (PostgreSQL)", () => {
  it("adds up after 40 payments settle in parallel while folds run alongside", async () => {
    const at = new Date("2025-07-01T07:00:00Z");
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => newPayment(new Date(at.getTime() + (i % 3) * 60_000), 100 + i)));
    const outcomes = ["paid", "cancelled", "failed"] as const;
    await Promise.all([
      ...created.map((p, i) => settle(p, outcomes[i % 3], new Date(at.getTime() + 120_000))),
      ...Array.from({ length: 8 }, () => foldPaymentStats(database.db)),
    ]);
    await foldPaymentStats(database.db);
    const { rollup, recount } = await rollupAndRecount();
    expect(rollup).toEqual(recount);
    expect(rollup).toContain(`2025-07-01 10:00:00|paid|paid|=14/${created.filter((_, i) => i % 3 === 0).reduce((n, p) => n + p.amountKes, 0)}`);
  });
});

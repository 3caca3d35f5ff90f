// Shared by the rollup tests: payments written straight through the single status writer, and the
// rollup read as the dashboard reads it (folded rows plus pending deltas) beside a full recount.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../db/client";
import { payments, type Payment } from "../../db/schema";
import { SYSTEM_ACTOR } from "../../app/modules/auth/staff-audit.server";
import { writePaymentStatus } from "../../app/modules/ledger/payments.server";
import { claimReceipt } from "../../app/modules/ledger/receipts.server";
import { orderRef } from "./factories";

export function paymentStatsHelpers(db: () => Db) {
  async function rollupAndRecount() {
    const read = async (query: ReturnType<typeof sql>) =>
      rowsOf<{ k: string; n: number; a: number; c: number; u: number }>(await db().execute(query))
        .map((r) => `${r.k}=${Number(r.n)}/${Number(r.a)}/${Number(r.c)}/${Number(r.u)}`)
        .sort();
    const rollup =
      await read(sql`select concat_ws('|', eat_hour, basis, status, result_code) as k, sum(payments) as n, sum(amount_kes) as a,
        sum(charge_kes) as c, sum(uncharged) as u
      from (select eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged from payment_stats
        union all select eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged from payment_stat_deltas) s
      group by 1 having sum(payments) <> 0`);
    const recount =
      await read(sql`select concat_ws('|', eat_hour, basis, status, result_code) as k, n, a, c, u from (
        select eat_hour(created_at) as eat_hour, 'created' as basis, status, coalesce(result_code, '') as result_code, count(*) as n, sum(amount_kes) as a,
          0 as c, 0 as u from payments group by 1, 3, 4
        union all
        select eat_hour(paid_at), 'paid', 'paid', '', count(*), sum(amount_kes), coalesce(sum(charge_kes), 0), count(*) filter (where charge_kes is null)
        from payments where status = 'paid' and paid_at is not null group by 1) r`);
    return { rollup, recount };
  }

  async function newPayment(createdAt: Date, amountKes: number): Promise<Payment> {
    const [p] = await db()
      .insert(payments)
      .values({
        orderRef: orderRef("STAT"),
        amountKes,
        phone: "254708000001",
        description: "",
        accountReference: "STAT",
        status: "pending",
        createdAt,
        updatedAt: createdAt,
      })
      .returning();
    return p;
  }

  /** Settles a payment; a paid one with `receipt` claims it through the ledger (priced as paybill). */
  const settle = (p: Payment, to: "paid" | "cancelled" | "failed", now: Date, receipt?: string) =>
    db().transaction(async (tx) => {
      if (receipt)
        await claimReceipt(tx, {
          receipt,
          amountKes: p.amountKes,
          paymentId: p.id,
          transactionAt: now,
          source: "stk_callback",
          txnType: "paybill",
        });
      await writePaymentStatus(tx, SYSTEM_ACTOR, p, to, {
        now,
        reason: "test",
        resultCode: to === "paid" ? "0" : to === "cancelled" ? "1032" : "1",
        receipt: receipt ?? null,
      });
    });

  return { rollupAndRecount, newPayment, settle };
}

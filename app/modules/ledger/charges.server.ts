// M-Pesa's charge on a receipt, priced once when the receipt is recorded and never again: the band of
// the tariff version in force at the receipt's time (M-Pesa's TransactionDate, else the moment we
// record it) for its transaction type and amount. No band → null ("no tariff"), never a guess.
// Every price is one join against the tariff_bands_in_force view (migration 0013), so the writer of
// one receipt and the statement's set-based writer use the same rule.
import { sql, type SQL } from "drizzle-orm";
import type { TxnType } from "../../../db/schema";

/** A SQL expression: the kind of money a payment's STK prompts asked for (its latest accepted push). */
export function paymentTxnTypeSql(paymentId: string | SQL): SQL {
  const id = typeof paymentId === "string" ? sql`${paymentId}::uuid` : paymentId;
  return sql`(select case a.request_body->>'TransactionType' when 'CustomerBuyGoodsOnline' then 'buy_goods'
      when 'CustomerPayBillOnline' then 'paybill' end
    from stk_attempts a where a.payment_id = ${id} and a.request_body is not null
    order by a.seq desc limit 1)`;
}

/** The join condition that finds the one band for (type, amount, time): bands never overlap. */
export function bandCovers(band: SQL, type: SQL, amountKes: SQL, at: SQL): SQL {
  return sql`${band}.txn_type = ${type} and ${amountKes} between ${band}.min_kes and ${band}.max_kes
    and ${at} >= ${band}.valid_from and (${band}.valid_to is null or ${at} < ${band}.valid_to)`;
}

export type Pricing = { type: SQL; amountKes: SQL; at: SQL };

/**
 * For many rows at once: a LATERAL subquery giving (charge_kes, version_id) of the band in force, to
 * be joined `left join lateral ${bandInForce(…)} alias on true` (a statement of constant text, which
 * PostgreSQL plans once, where a per-row subquery in VALUES grows the statement with every row).
 */
export function bandInForce(p: Pricing): SQL {
  return sql`(select t.charge_kes, t.version_id from tariff_bands_in_force t
    where ${bandCovers(sql.raw("t"), p.type, p.amountKes, p.at)} limit 1)`;
}

function priced(column: "charge_kes" | "version_id", p: Pricing): SQL {
  return sql`(select t.${sql.raw(column)} from tariff_bands_in_force t where ${bandCovers(sql.raw("t"), p.type, p.amountKes, p.at)} limit 1)`;
}

/** Column values for a new receipt: its type, charge and the version that priced it. */
export function chargeColumns(input: {
  txnType: TxnType | null;
  paymentId?: string | null;
  amountKes: number;
  transactionAt: Date | null;
}) {
  const type = input.txnType
    ? sql`${input.txnType}::text`
    : input.paymentId
      ? paymentTxnTypeSql(input.paymentId)
      : sql`null::text`;
  const p: Pricing = {
    type,
    amountKes: sql`${input.amountKes}::bigint`,
    at: input.transactionAt ? sql`${input.transactionAt.toISOString()}::timestamptz` : sql`now()`,
  };
  return {
    txnType: sql`${type}`,
    chargeKes: priced("charge_kes", p),
    tariffVersionId: priced("version_id", p),
  };
}

/**
 * Column updates for a receipt a payment now claims. A receipt recorded before anyone knew its kind
 * (an orphan callback, a statement line whose Reason Type did not say) is priced now, at its own time;
 * one already priced — or known to have no band — keeps what it has.
 */
export function chargeColumnsOnClaim(input: { txnType: TxnType | null; paymentId: string }) {
  const type = sql`coalesce(${input.txnType}::text, ${paymentTxnTypeSql(input.paymentId)})`;
  const p: Pricing = {
    type,
    amountKes: sql`receipts.amount_kes`,
    at: sql`coalesce(receipts.transaction_at, receipts.created_at)`,
  };
  const unpriced = sql`receipts.txn_type is null`;
  return {
    txnType: sql`case when ${unpriced} then ${type} else receipts.txn_type end`,
    chargeKes: sql`case when ${unpriced} then ${priced("charge_kes", p)} else receipts.charge_kes end`,
    tariffVersionId: sql`case when ${unpriced} then ${priced("version_id", p)} else receipts.tariff_version_id end`,
  };
}

/** The charge a payment carries: its receipt's, read in the statement that attaches the receipt. */
export const chargeOfReceipt = (receipt: string): SQL =>
  sql`(select r.charge_kes from receipts r where r.receipt = ${receipt})`;

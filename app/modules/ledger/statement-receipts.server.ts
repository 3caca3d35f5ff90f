// A statement import's money joins the receipt ledger set-based (docs/daraja.md#statement-matching):
// every new Completed paid-in line of the import becomes a receipt no payment owns yet, priced by the
// tariff band in force at the line's completion time in the same INSERT … SELECT (one join, not a
// lookup per line); a receipt already known is left as it was, its charge untouched. That a statement
// showed a receipt is read from statement_lines, not written on the receipt.
import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { TXN_TYPE_SQL_CASE } from "../daraja/transaction-type";
import { bandCovers } from "./charges.server";

/**
 * Records the import's new paid-in lines as receipts. The rows that existed before (xmax set by the
 * no-op update, which ON CONFLICT needs to return them and lock them) are the receipts we already knew; they are kept for the caller's transaction in the
 * temporary table statement_known_receipts (receipt, payment_id, amount_kes, transaction_at, first_source).
 */
export async function recordStatementReceipts(tx: Db, importId: string): Promise<void> {
  await tx.execute(sql`create temp table if not exists statement_known_receipts (
    receipt text primary key, payment_id uuid, amount_kes bigint, transaction_at timestamptz, first_source text) on commit drop`);
  await tx.execute(sql`truncate statement_known_receipts`);
  await tx.execute(sql`
    with w as (
      insert into receipts (receipt, amount_kes, transaction_at, phone, bill_ref_raw, bill_ref_norm, msisdn_raw, msisdn_kind, payer_name,
        first_source, txn_type, charge_kes, tariff_version_id)
      select l.receipt, l.paid_in_kes, l.completed_at, l.party_phone, l.account_no, l.bill_ref_norm, l.party_msisdn_raw,
        coalesce(l.party_msisdn_kind, 'unknown'), l.party_name, 'statement', l.txn_type, t.charge_kes, t.version_id
      from (select l.id, l.receipt, l.paid_in_kes, l.completed_at, l.party_phone, l.account_no, l.bill_ref_norm, l.party_msisdn_raw,
              l.party_msisdn_kind, l.party_name, ${sql.raw(TXN_TYPE_SQL_CASE("l.reason_type"))} as txn_type
            from statement_lines l
            where l.import_id = ${importId} and l.match_state = 'new' and l.direction = 'in') l
      left join tariff_bands_in_force t
        on ${bandCovers(sql.raw("t"), sql`l.txn_type`, sql`l.paid_in_kes`, sql`coalesce(l.completed_at, now())`)}
      order by l.id
      on conflict (receipt) do update set first_source = receipts.first_source
      returning receipt, payment_id, amount_kes, transaction_at, first_source, xmax <> 0 as existed)
    insert into statement_known_receipts select receipt, payment_id, amount_kes, transaction_at, first_source from w where existed`);
  await tx.execute(sql`analyze statement_known_receipts`);
}

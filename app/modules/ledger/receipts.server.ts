// The one writer of the receipts table. One receipt is one sum of money, so who owns it is decided
// by the database: every writer first takes a transaction-scoped lock on the receipt number, then
// reads and writes. Two payments that race for the same receipt are serialised; the second sees the
// first as the owner and opens a case instead of counting the money twice. A new receipt is priced
// (M-Pesa's charge) in the statement that records it; see charges.server.ts.
import { eq, sql } from "drizzle-orm";
import { AppError } from "../../lib/app-error";
import { formatKes } from "../../lib/money";
import { rowsOf, type Db } from "../../../db/client";
import {
  payments,
  receipts,
  type Payment,
  type PhoneKind,
  type Receipt,
  type TxnType,
} from "../../../db/schema";
import {
  bandInForce,
  chargeColumns,
  chargeColumnsOnClaim,
  paymentTxnTypeSql,
} from "./charges.server";

export type ReceiptSource = "stk_callback" | "c2b" | "statement" | "manual";

/** Who owns a receipt, seen from one payment. */
export type ReceiptOwnership = "none" | "unassigned" | "this_payment" | "other_payment";

/** Locks the receipt number for the rest of the transaction and reads its row (if any). */
export async function lockReceipt(tx: Db, receipt: string): Promise<Receipt | null> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${"receipt:" + receipt}))`);
  const [row] = await tx.select().from(receipts).where(eq(receipts.receipt, receipt));
  return row ?? null;
}

export function ownershipOf(row: Receipt | null, paymentId: string): ReceiptOwnership {
  if (!row) return "none";
  if (row.paymentId === null) return "unassigned";
  return row.paymentId === paymentId ? "this_payment" : "other_payment";
}

export type ReceiptFacts = {
  receipt: string;
  amountKes: number;
  phone?: string | null;
  /** Whether the witness carried a whole phone number, a masked one or none. */
  phoneKind?: PhoneKind | null;
  transactionAt?: Date | null;
  source: ReceiptSource;
  billRefRaw?: string | null;
  billRefNorm?: string | null;
  msisdnRaw?: string | null;
  msisdnKind?: string | null;
  payerName?: string | null;
  /** Paybill or till money, when the witness says (a C2B confirmation); else the payment's prompts tell. */
  txnType?: TxnType | null;
};

const seenFlags = (source: ReceiptSource) => ({
  ...(source === "stk_callback" ? { seenInCallback: true } : {}),
  ...(source === "c2b" ? { seenInC2b: true } : {}),
});

/** The columns a witness's facts give a new receipt row (owned by `paymentId`, or by no payment yet). */
function witnessColumns(
  facts: ReceiptFacts,
  owner: { paymentId?: string; attemptId?: string | null },
) {
  return {
    receipt: facts.receipt,
    amountKes: facts.amountKes,
    paymentId: owner.paymentId ?? null,
    attemptId: owner.attemptId ?? null,
    phone: facts.phone ?? null,
    phoneKind: facts.phoneKind ?? null,
    transactionAt: facts.transactionAt ?? null,
    firstSource: facts.source,
    billRefRaw: facts.billRefRaw ?? null,
    billRefNorm: facts.billRefNorm ?? null,
    msisdnRaw: facts.msisdnRaw ?? null,
    msisdnKind: facts.msisdnKind ?? null,
    payerName: facts.payerName ?? null,
  };
}

/** A new receipt row from a witness's facts: its columns, where it was seen, and its price. */
function newReceipt(facts: ReceiptFacts, owner: { paymentId?: string; attemptId?: string | null }) {
  return {
    ...witnessColumns(facts, owner),
    ...seenFlags(facts.source),
    ...chargeColumns({
      txnType: facts.txnType ?? null,
      paymentId: owner.paymentId,
      amountKes: facts.amountKes,
      transactionAt: facts.transactionAt ?? null,
    }),
  };
}

/**
 * Makes the receipt this payment's. Returns the row and whether it is now ours: a receipt another
 * payment owns is never taken over (the caller opens a duplicate_receipt case).
 */
export async function claimReceipt(
  tx: Db,
  facts: ReceiptFacts & {
    paymentId: string;
    attemptId?: string | null;
    /** The caller took this receipt's lock in this transaction (lockReceipt) and read its row. */
    locked?: { row: Receipt | null };
  },
): Promise<{ row: Receipt; ownership: "claimed" | "already_ours" | "other_payment" }> {
  let existing = facts.locked ? facts.locked.row : await lockReceipt(tx, facts.receipt);
  if (!existing) {
    const [row] = await tx
      .insert(receipts)
      .values(newReceipt(facts, facts))
      .onConflictDoNothing()
      .returning();
    if (row) return { row, ownership: "claimed" };
    // A statement import's set-based witness row (never an owner) landed meanwhile: claim that one.
    [existing] = await tx.select().from(receipts).where(eq(receipts.receipt, facts.receipt));
  }
  const before = ownershipOf(existing, facts.paymentId);
  if (before === "other_payment") return { row: existing!, ownership: "other_payment" };
  const [row] = await tx
    .update(receipts)
    .set({
      paymentId: facts.paymentId,
      attemptId: sql`coalesce(${receipts.attemptId}, ${facts.attemptId ?? null}::uuid)`,
      phoneKind: sql`coalesce(${receipts.phoneKind}, ${facts.phoneKind ?? null})`,
      transactionAt: sql`coalesce(${receipts.transactionAt}, ${facts.transactionAt?.toISOString() ?? null}::timestamptz)`,
      ...seenFlags(facts.source),
      ...chargeColumnsOnClaim({ txnType: facts.txnType ?? null, paymentId: facts.paymentId }),
    })
    .where(eq(receipts.receipt, facts.receipt))
    .returning();
  return { row, ownership: before === "this_payment" ? "already_ours" : "claimed" };
}

/**
 * New receipts, each claimed by its payment, in one statement (the set-based success path,
 * stk-successes.server.ts). The caller holds every receipt's lock and read that none exists; a row
 * that is there after all (a statement import's witness row, written without the lock) makes this
 * throw, and the caller's batch is applied one callback at a time instead.
 */
export async function insertClaimedReceipts(
  tx: Db,
  facts: (ReceiptFacts & { paymentId: string; attemptId: string })[],
): Promise<void> {
  if (!facts.length) return;
  // One statement of constant text whatever the number of rows: the rows are one JSON parameter,
  // each priced by the same rule as newReceipt's (charges.server.ts), with a join instead of a
  // subquery per row.
  const rows = facts.map((f) => ({ ...witnessColumns(f, f), txnType: f.txnType ?? null }));
  const type = sql`coalesce(v."txnType", ${paymentTxnTypeSql(sql`v."paymentId"`)})`;
  const inserted = rowsOf<{ receipt: string }>(
    await tx.execute(sql`insert into receipts (receipt, amount_kes, payment_id, attempt_id, phone,
        phone_kind, transaction_at, first_source, bill_ref_raw, bill_ref_norm, msisdn_raw,
        msisdn_kind, payer_name, seen_in_callback, seen_in_c2b, txn_type,
        charge_kes, tariff_version_id)
      select v.receipt, v."amountKes", v."paymentId", v."attemptId", v.phone, v."phoneKind",
        v."transactionAt", v."firstSource", v."billRefRaw", v."billRefNorm", v."msisdnRaw",
        v."msisdnKind", v."payerName", v."firstSource" = 'stk_callback', v."firstSource" = 'c2b',
        k.txn_type, band.charge_kes, band.version_id
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(receipt text, "amountKes" bigint,
        "paymentId" uuid, "attemptId" uuid, phone text, "phoneKind" text, "transactionAt" timestamptz,
        "firstSource" text, "billRefRaw" text, "billRefNorm" text, "msisdnRaw" text,
        "msisdnKind" text, "payerName" text, "txnType" text)
      cross join lateral (select ${type} as txn_type) k
      left join lateral ${bandInForce({ type: sql`k.txn_type`, amountKes: sql`v."amountKes"::bigint`, at: sql`coalesce(v."transactionAt", now())` })} band on true
      on conflict do nothing
      returning receipt`),
  );
  if (inserted.length !== facts.length)
    throw new AppError("receipt_taken", "A receipt was recorded meanwhile; applying one by one.", {
      status: 409,
    });
}

/** Money seen with no payment to put it on yet (an orphan callback, an unmatched C2B): kept unowned. */
export async function recordUnassignedReceipt(
  tx: Db,
  facts: ReceiptFacts,
): Promise<{ row: Receipt; created: boolean }> {
  const existing = await lockReceipt(tx, facts.receipt);
  if (!existing) {
    const [row] = await tx
      .insert(receipts)
      .values(newReceipt(facts, {}))
      .onConflictDoNothing()
      .returning();
    if (row) return { row, created: true };
  }
  // A statement has no flag of its own to set (it is read from statement_lines).
  const flags = seenFlags(facts.source);
  const [row] = Object.keys(flags).length
    ? await tx.update(receipts).set(flags).where(eq(receipts.receipt, facts.receipt)).returning()
    : await tx.select().from(receipts).where(eq(receipts.receipt, facts.receipt));
  return { row, created: false };
}

/**
 * Makes a receipt this payment's: inserts it (a receipt only seen in the M-Pesa portal) or claims a
 * row no payment owns yet (an orphan's money). A receipt already on another payment is refused.
 */
export async function claimReceiptForStaff(
  tx: Db,
  payment: Payment,
  receipt: string,
  options: { attemptId?: string | null; requireAmountKes?: number } = {},
): Promise<Receipt> {
  await lockReceipt(tx, receipt);
  await tx
    .insert(receipts)
    .values({
      receipt,
      amountKes: payment.amountKes,
      paymentId: payment.id,
      attemptId: options.attemptId ?? null,
      phone: payment.phone,
      firstSource: "manual",
      ...chargeColumns({
        txnType: null,
        paymentId: payment.id,
        amountKes: payment.amountKes,
        transactionAt: null,
      }),
    })
    .onConflictDoNothing();
  const [row] = await tx.select().from(receipts).where(eq(receipts.receipt, receipt)).for("update");
  if (row.paymentId && row.paymentId !== payment.id) {
    const [owner] = await tx
      .select({ orderRef: payments.orderRef })
      .from(payments)
      .where(eq(payments.id, row.paymentId));
    throw new AppError(
      "receipt_taken",
      `Receipt ${receipt} already belongs to the payment for order ${owner?.orderRef ?? row.paymentId}. One receipt is one sum of money.`,
      { status: 409, field: "receipt" },
    );
  }
  if (options.requireAmountKes !== undefined && row.amountKes !== options.requireAmountKes) {
    throw new AppError(
      "receipt_amount",
      `Receipt ${receipt} is for ${formatKes(row.amountKes)}, but the payment asks for ${formatKes(options.requireAmountKes)}.`,
      { status: 409, field: "receipt" },
    );
  }
  if (!row.paymentId) {
    await tx
      .update(receipts)
      .set({
        paymentId: payment.id,
        attemptId: sql`coalesce(${receipts.attemptId}, ${options.attemptId ?? null}::uuid)`,
        ...chargeColumnsOnClaim({ txnType: null, paymentId: payment.id }),
      })
      .where(eq(receipts.receipt, receipt));
    const [claimed] = await tx.select().from(receipts).where(eq(receipts.receipt, receipt));
    return claimed;
  }
  return { ...row, paymentId: payment.id };
}

/** Records that M-Pesa reversed the receipt (the reversal's own receipt number). */
export async function markReceiptReversed(tx: Db, receipt: string, reversalRef: string) {
  await lockReceipt(tx, receipt);
  await tx
    .update(receipts)
    .set({ reversedByReceipt: reversalRef })
    .where(eq(receipts.receipt, receipt));
}

/**
 * One more witness of a receipt's money (a C2B confirmation, a statement line): a new receipt is
 * recorded unowned; a known one gains the witness's details where it had none. Returns the row as
 * it was known before this witness (for comparing amounts), and whether it is new.
 */
export async function recordWitness(
  tx: Db,
  facts: ReceiptFacts,
): Promise<{ created: boolean; row: Receipt }> {
  const known = await lockReceipt(tx, facts.receipt);
  if (!known) return recordUnassignedReceipt(tx, facts);
  await tx
    .update(receipts)
    .set({
      ...seenFlags(facts.source),
      billRefRaw: known.billRefRaw ?? facts.billRefRaw ?? null,
      billRefNorm: known.billRefNorm ?? facts.billRefNorm ?? null,
      msisdnRaw: known.msisdnRaw ?? facts.msisdnRaw ?? null,
      msisdnKind: known.msisdnRaw ? known.msisdnKind : (facts.msisdnKind ?? null),
      payerName: known.payerName ?? facts.payerName ?? null,
      phoneKind: known.phoneKind ?? facts.phoneKind ?? null,
    })
    .where(eq(receipts.receipt, facts.receipt));
  return { created: false, row: known };
}

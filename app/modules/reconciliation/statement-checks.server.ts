// The statement's verdicts beyond line-by-line matching (docs/daraja.md#statement-matching):
// reversal lines refund the payment whose receipt they reverse, and a `paid` payment inside the
// statement's period with no line is `missing_from_statement` — money we think arrived that M-Pesa
// never moved (a forged callback?).
import {
  and,
  asc,
  between,
  eq,
  inArray,
  isNull,
  max,
  min,
  notExists,
  or,
  sql,
  type SQL,
} from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { payments, receipts, statementImports, statementLines } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { formatKes } from "../../lib/money";
import { eatDay, formatEat } from "../../lib/time";
import { openException } from "../ledger/cases.server";
import { refundPaymentsFrom, refundPaymentsInBulk } from "../ledger/refunds.server";
import { kesSql } from "../../lib/sql-text.server";
import { addPaymentEvents, type EventActor, type NewEvent } from "../ledger/events.server";
import { countException, openCasesInBulk, type StatementCase } from "./cases.server";
import type { LineOutcome, MatchLine, MatchSummary } from "./match.server";

/** Withdrawn lines with a Linked Transaction ID: the original receipt is marked reversed, its payment refunded. */
export async function applyReversals(
  tx: Db,
  now: Date,
  lines: MatchLine[],
  outcomes: Map<number, LineOutcome>,
  summary: MatchSummary,
  actor: EventActor,
) {
  if (lines.length === 0) return;
  const linkOf = (line: MatchLine) => line.linkedTransactionId as string;
  const originals = new Map(
    (
      await tx
        .select()
        .from(receipts)
        .where(inArray(receipts.receipt, [...new Set(lines.map(linkOf))]))
    ).map((r) => [r.receipt, r]),
  );
  const found = lines.filter((l) => originals.has(linkOf(l)));
  if (found.length) {
    const pairs = found.map((l) => sql`(${linkOf(l)}::text, ${l.receipt}::text)`);
    await tx.execute(sql`update receipts as r set reversed_by_receipt = v.reversal from (values ${sql.join(pairs, sql`, `)}) as v(original, reversal)
      where r.receipt = v.original and r.reversed_by_receipt is null`);
  }
  const paymentIds = [
    ...new Set(found.flatMap((l) => originals.get(linkOf(l))?.paymentId ?? [])),
  ].sort();
  // Locked in id order, so two imports reversing overlapping payments cannot deadlock.
  const locked = new Map(
    paymentIds.length
      ? (
          await tx
            .select()
            .from(payments)
            .where(inArray(payments.id, paymentIds))
            .orderBy(asc(payments.id))
            .for("no key update")
        ).map((p) => [p.id, p])
      : [],
  );

  // The refunds go to the gate in one call, the other lines' timeline events in another; each payment's
  // own events stay in line order (a payment is refunded by its first reversal, later ones only noted).
  const refunds: Parameters<typeof refundPaymentsInBulk>[3] = [];
  const notes: NewEvent[] = [];
  const partials: PartialReversal[] = [];
  for (const line of lines) {
    const original = originals.get(linkOf(line));
    summary.reversals += 1;
    // Without the original (on a statement not imported yet) there is nothing to refund.
    if (!original) summary.reversalsUnlinked += 1;
    const payment = original?.paymentId ? locked.get(original.paymentId) : undefined;
    if (original && payment) {
      const booked = payment.receipt === original.receipt;
      const full = line.withdrawnKes === original.amountKes;
      const partial = !booked
        ? NOT_BOOKED
        : !full
          ? ` (the original was ${formatKes(original.amountKes)})`
          : "";
      const reversal = {
        paymentId: payment.id,
        type: "reversal",
        summary: `Receipt ${original.receipt} reversed by ${line.receipt} on the statement: ${formatKes(line.withdrawnKes)} back to the customer${partial}`,
        data: {
          reversal: line.receipt,
          original: original.receipt,
          amountKes: line.withdrawnKes,
          statementLineId: line.id,
        },
      };
      // Only all of the money the payment is booked on, reversed, makes a paid payment refunded; any
      // other status is left for a person to read, and part of the money back is a case (below).
      if (booked && !full)
        partials.push({
          lineId: line.id,
          reversal: line.receipt,
          original: original.receipt,
          paymentId: payment.id,
          withdrawnKes: line.withdrawnKes,
          originalKes: original.amountKes,
        });
      if (payment.status === "paid" && booked && full) {
        refunds.push({
          payment,
          reason: `Reversed on the M-Pesa statement (${line.receipt})`,
          precedingEvent: reversal,
        });
        locked.set(payment.id, { ...payment, status: "refunded" });
        summary.refunded += 1;
      } else {
        notes.push(reversal);
      }
    }
    outcomes.set(line.id, { state: "reversal", paymentId: original?.paymentId ?? null });
  }
  await refundPaymentsInBulk(tx, actor, now, refunds);
  await addPaymentEvents(tx, actor, notes);
  // Decided once every line's refund is in: a payment a full reversal refunded needs no case.
  await openPartialReversalCases(
    tx,
    actor,
    summary,
    partials.filter((r) => locked.get(r.paymentId)?.status === "paid"),
  );
}

/** A reversal's note when the receipt it reverses is not the one its payment is booked on. */
const NOT_BOOKED = " (not the receipt this payment is booked on, so the payment is not refunded)";

/** A statement reversal of a paid payment's booked receipt for another amount than the receipt's. */
type PartialReversal = {
  lineId: number;
  reversal: string;
  original: string;
  paymentId: string;
  withdrawnKes: number;
  originalKes: number;
};

// The payment stays paid and a person decides (mark it refunded, or acknowledge that part of the money
// went back): one case per reversal line, keyed by its receipt, so a second import of the line opens
// nothing and a later reversal of the rest of the money opens a case of its own.
async function openPartialReversalCases(
  tx: Db,
  actor: EventActor,
  summary: MatchSummary,
  partials: PartialReversal[],
) {
  const cases: StatementCase[] = partials.map((r) => ({
    type: "partial_reversal",
    dedupeKey: `partial_reversal:statement:${r.reversal}`,
    lineId: r.lineId,
    receipt: r.original,
    paymentId: r.paymentId,
    amountKes: r.withdrawnKes,
    summary: `Receipt ${r.original} (${formatKes(r.originalKes)}) reversed by ${r.reversal} on the statement for ${formatKes(r.withdrawnKes)}, not the receipt's amount; the payment stays paid until someone decides`,
    details: {
      reversal: r.reversal,
      original: r.original,
      withdrawnKes: r.withdrawnKes,
      originalKes: r.originalKes,
    },
  }));
  const opened = await openCasesInBulk(tx, actor, cases);
  summary.exceptions += opened.length;
  for (const type of opened) countException(summary, type, 1);
}

/**
 * applyReversals for the withdrawn lines in the table `lines` (id, receipt, linked_transaction_id,
 * withdrawn_kes; the caller has already written their verdicts), in the database: the original
 * receipts marked reversed (by their first reversal), the refunds and notes through the payment gate's
 * set-based command (the same text and data), in five statements whatever the number of lines;
 * then a case for each reversal of a still-paid payment's booked receipt for another amount.
 */
export async function applyReversalsOf(
  tx: Db,
  now: Date,
  lines: SQL,
  summary: MatchSummary,
  actor: EventActor,
) {
  const [count] = rowsOf<{ n: number | string; unlinked: number | string }>(
    await tx.execute(sql`select count(*) as n, count(*) filter (where not exists
      (select 1 from receipts r where r.receipt = l.linked_transaction_id)) as unlinked
      from ${lines} l`),
  );
  if (!count || Number(count.n) === 0) return;
  summary.reversals += Number(count.n);
  // Without the original (on a statement not imported yet) there is nothing to refund.
  summary.reversalsUnlinked += Number(count.unlinked);
  await tx.execute(sql`update receipts r set reversed_by_receipt = f.receipt
    from (select distinct on (l.linked_transaction_id) l.linked_transaction_id as original, l.receipt
      from ${lines} l order by l.linked_transaction_id, l.id) f
    where r.receipt = f.original and r.reversed_by_receipt is null`);
  const booked = sql`p.receipt is not distinct from r.receipt`;
  const full = sql`l.withdrawn_kes = r.amount_kes`;
  const partial = sql`case when not ${booked} then ${NOT_BOOKED}::text when not ${full}
    then ' (the original was ' || ${kesSql(sql`r.amount_kes`)} || ')' else '' end`;
  summary.refunded += await refundPaymentsFrom(
    tx,
    actor,
    now,
    sql`select l.id as ord, r.payment_id, 'Reversed on the M-Pesa statement (' || l.receipt || ')' as reason,
      'reversal' as type, 'Receipt ' || r.receipt || ' reversed by ' || l.receipt || ' on the statement: '
        || ${kesSql(sql`l.withdrawn_kes`)} || ' back to the customer' || ${partial} as summary,
      jsonb_build_object('reversal', l.receipt, 'original', r.receipt, 'amountKes', l.withdrawn_kes,
        'statementLineId', l.id) as data, ${booked} and ${full} as refundable
    from ${lines} l join receipts r on r.receipt = l.linked_transaction_id join payments p on p.id = r.payment_id`,
  );
  const partials = rowsOf<{
    id: number | string;
    receipt: string;
    original: string;
    payment_id: string;
    withdrawn_kes: number | string;
    amount_kes: number | string;
  }>(
    await tx.execute(sql`select l.id, l.receipt, r.receipt as original, r.payment_id, l.withdrawn_kes, r.amount_kes
      from ${lines} l join receipts r on r.receipt = l.linked_transaction_id join payments p on p.id = r.payment_id
      where p.status = 'paid' and ${booked} and not ${full} order by l.id`),
  );
  await openPartialReversalCases(
    tx,
    actor,
    summary,
    partials.map((r) => ({
      lineId: Number(r.id),
      reversal: r.receipt,
      original: r.original,
      paymentId: r.payment_id,
      withdrawnKes: Number(r.withdrawn_kes),
      originalKes: Number(r.amount_kes),
    })),
  );
}

/** Opens `missing_from_statement` for each paid payment in the import's period with no statement line. */
export async function flagMissingFromStatement(
  ctx: AppContext,
  importId: string,
  actor: EventActor,
): Promise<number> {
  const [imp] = await ctx.db
    .select()
    .from(statementImports)
    .where(eq(statementImports.id, importId));
  if (!imp) return 0;
  let from = imp.periodFrom;
  let to = imp.periodTo;
  if (!from || !to) {
    // No preamble: the file covers at least the span of its own lines.
    const [span] = await ctx.db
      .select({ first: min(statementLines.completedAt), last: max(statementLines.completedAt) })
      .from(statementLines)
      .where(eq(statementLines.importId, importId));
    from ??= span?.first ?? null;
    to ??= span?.last ?? null;
  }
  if (!from || !to) return 0;
  const [periodFrom, periodTo] = [from, to];

  return ctx.db.transaction(async (tx) => {
    // One query over the period's payments: JIT compiling it took longer than running it (as in the
    // store and match steps).
    await tx.execute(sql`set local jit = off`);
    // When the money moved: the receipt's own time when we have it, else when we learned it was paid.
    const movedAt = sql<Date>`coalesce(${receipts.transactionAt}, ${payments.paidAt})`;
    const rows = await tx
      .select({
        id: payments.id,
        orderRef: payments.orderRef,
        amountKes: payments.amountKes,
        receipt: payments.receipt,
        paidAt: payments.paidAt,
        transactionAt: receipts.transactionAt,
      })
      .from(payments)
      .leftJoin(receipts, eq(receipts.receipt, payments.receipt))
      .where(
        and(
          eq(payments.status, "paid"),
          // paid_at (indexed) narrows first; it trails the transaction by seconds, occasionally by hours.
          between(
            payments.paidAt,
            new Date(periodFrom.getTime() - 3_600_000),
            new Date(periodTo.getTime() + 2 * 86_400_000),
          ),
          sql`${movedAt} between ${periodFrom.toISOString()}::timestamptz and ${periodTo.toISOString()}::timestamptz`,
          or(
            isNull(payments.receipt),
            notExists(
              tx
                .select({ one: sql`1` })
                .from(statementLines)
                .where(eq(statementLines.receipt, payments.receipt)),
            ),
          ),
        ),
      );
    if (rows.length === 0) return 0;
    let opened = 0;
    for (const p of rows) {
      const at = p.transactionAt ?? (p.paidAt as Date);
      const id = await openException(tx, actor, {
        type: "missing_from_statement",
        dedupeKey: `missing_from_statement:${p.id}`,
        paymentId: p.id,
        receipt: p.receipt,
        amountAtStakeKes: p.amountKes,
        summary: `Marked paid (${formatKes(p.amountKes)}, ${p.receipt ? `receipt ${p.receipt}` : "receipt pending"}, ${formatEat(at)}) but the M-Pesa statement for that period has no such line: check the payment was genuine before delivering`,
        details: {
          day: eatDay(at),
          paidAt: p.paidAt?.toISOString() ?? null,
          transactionAt: p.transactionAt?.toISOString() ?? null,
          importId,
          periodFrom: periodFrom.toISOString(),
          periodTo: periodTo.toISOString(),
        },
      });
      if (id) opened += 1;
    }
    return opened;
  });
}

/**
 * The missing-from-statement step after matching: the cases it opens, or for a run resuming after a
 * crash past the match's commit (which finds the cases an earlier run opened, and opens none), those.
 */
export async function missingFromStatementOf(
  ctx: AppContext,
  importId: string,
  actor: EventActor,
  resumed: boolean,
): Promise<number> {
  const opened = await flagMissingFromStatement(ctx, importId, actor);
  return resumed ? missingCasesOpenedBy(ctx, importId) : opened;
}

/** How many missing_from_statement cases an import opened (its id is in each case's details). */
async function missingCasesOpenedBy(ctx: AppContext, importId: string): Promise<number> {
  const [row] = rowsOf<{ n: number | string }>(
    await ctx.db.execute(sql`select count(*) as n from exceptions
      where type = 'missing_from_statement' and details->>'importId' = ${importId}`),
  );
  return Number(row?.n ?? 0);
}

// The one way statement matching opens cases: many at once, with the dedupe keys the
// per-line matcher used (`<type>:statement:<receipt>`), so an import run twice, or a statement that
// overlaps an earlier one, never opens the same fact twice. The rule is the exception gate's
// (ledger/cases.server.ts): INSERT … ON CONFLICT (dedupe_key) DO NOTHING, and a timeline event for
// each new case that names a payment. The rows travel as one JSON parameter (a 20,000-line statement
// of unknown money is a few statements, not thousands); cases naming a payment, which are few, go
// through the gate's own bulk command. One place to change if the gate's conventions do.
import { sql, type SQL } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import type { ExceptionType, StatementLine } from "../../../db/schema";
import {
  openExceptions,
  openUnassignedCasesFrom,
  openUnassignedCasesInBulk,
} from "../ledger/cases.server";
import { caseKey } from "../ledger/payments.server";
import { formatKes } from "../../lib/money";
import { formatEat } from "../../lib/time";
import { eatSql, isoSql, kesSql } from "../../lib/sql-text.server";
import type { EventActor } from "../ledger/events.server";
import type { MatchLine, MatchSummary } from "./match.server";

export type StatementCase = {
  type: "amount_mismatch" | "time_mismatch" | "statement_only" | "partial_reversal";
  lineId: number;
  receipt: string;
  paymentId: string | null;
  amountKes: number;
  summary: string;
  details: unknown;
  /** The fact's own key when the receipt alone does not name it (a reversal line of a receipt). */
  dedupeKey?: string;
};

export function statementCaseKey(type: StatementCase["type"], receipt: string): string {
  // A wrong amount is one fact whoever saw it (callback, C2B, statement): keyed by the receipt alone.
  if (type === "amount_mismatch") return caseKey(type, { receipt });
  return `${type}:statement:${receipt}`;
}

/** Opens the cases that are new; returns the type of each case actually opened. */
export async function openCasesInBulk(
  tx: Db,
  actor: EventActor,
  cases: StatementCase[],
): Promise<ExceptionType[]> {
  if (cases.length === 0) return [];
  const anonymous = cases.filter((c) => c.paymentId === null);
  const opened: ExceptionType[] = [];
  if (anonymous.length) {
    const rows = anonymous.map((c) => ({
      type: c.type,
      key: c.dedupeKey ?? statementCaseKey(c.type, c.receipt),
      lineId: c.lineId,
      receipt: c.receipt,
      amount: c.amountKes,
      summary: c.summary,
      details: c.details ?? null,
    }));
    opened.push(...(await openUnassignedCasesInBulk(tx, rows)));
  }
  const named = cases.filter((c) => c.paymentId !== null);
  if (named.length === 0) return opened;
  return opened.concat(
    await openExceptions(
      tx,
      actor,
      named.map((c) => ({
        type: c.type,
        dedupeKey: c.dedupeKey ?? statementCaseKey(c.type, c.receipt),
        paymentId: c.paymentId,
        statementLineId: c.lineId,
        receipt: c.receipt,
        amountAtStakeKes: c.amountKes,
        summary: c.summary,
        details: c.details,
      })),
    ),
  );
}

/** An owned line the set-based match left over, read with its receipt and payment. */
export type KnownRow = {
  id: number | string;
  receipt: string;
  paid_in_kes: number | string;
  completed_at: Date | string;
  r_amount_kes: number | string;
  r_transaction_at: Date | string | null;
  first_source: string;
  payment_id: string;
  order_ref: string;
  p_amount_kes: number | string;
  status: string;
  paid_at: Date | string | null;
};

const asDate = (v: Date | string | null) => (v === null ? null : new Date(v));

export function mismatchCase(r: KnownRow): StatementCase {
  const at = new Date(r.completed_at);
  const paidIn = Number(r.paid_in_kes);
  const owner = {
    id: r.payment_id,
    orderRef: r.order_ref,
    amountKes: Number(r.p_amount_kes),
    status: r.status,
    paidAt: asDate(r.paid_at),
  };
  const receiptAt = asDate(r.r_transaction_at);
  const witnesses = {
    statement: {
      receipt: r.receipt,
      amountKes: paidIn,
      completedAt: at.toISOString(),
      lineId: Number(r.id),
    },
    payment: { ...owner, paidAt: owner.paidAt?.toISOString() ?? null },
    receipt: {
      amountKes: Number(r.r_amount_kes),
      transactionAt: receiptAt?.toISOString() ?? null,
      firstSource: r.first_source,
    },
  };
  const base = { lineId: Number(r.id), receipt: r.receipt, paymentId: owner.id, amountKes: paidIn };
  if (paidIn !== owner.amountKes)
    return {
      ...base,
      type: "amount_mismatch",
      summary: `The statement shows ${formatKes(paidIn)} for receipt ${r.receipt}; the payment asked for ${formatKes(owner.amountKes)}`,
      details: witnesses,
    };
  // The owner join already matched every line within tolerance, so this one is outside it.
  const expectedAt = (receiptAt ?? owner.paidAt) as Date;
  const minutes = Math.round(Math.abs(at.getTime() - expectedAt.getTime()) / 60_000);
  return {
    ...base,
    type: "time_mismatch",
    summary: `Receipt ${r.receipt} completed ${formatEat(at)} on the statement, ${minutes} minutes from ${formatEat(expectedAt)} recorded for the payment`,
    details: witnesses,
  };
}

export function statementOnlyCase(line: MatchLine, eligible: unknown[]): StatementCase {
  const at = line.completedAt as Date;
  return {
    type: "statement_only",
    lineId: line.id,
    receipt: line.receipt,
    paymentId: null,
    amountKes: line.paidInKes,
    summary: `${formatKes(line.paidInKes)} arrived ${formatEat(at)} (receipt ${line.receipt}${line.accountNo ? `, A/C ${line.accountNo}` : ""}) and no payment knows it`,
    details: {
      statement: {
        receipt: line.receipt,
        amountKes: line.paidInKes,
        completedAt: at.toISOString(),
        accountNo: line.accountNo,
        otherPartyInfo: line.otherPartyInfo,
        reasonType: line.reasonType,
      },
      ambiguousCandidates: eligible,
    },
  };
}

/**
 * statementOnlyCase with no candidates for every line in the table `lines` (statement_lines' columns
 * id, receipt, paid_in_kes, completed_at, account_no, other_party_info, reason_type): the same key,
 * summary and details, written by the database in one INSERT. Returns the types opened.
 */
export function openStatementOnlyCases(tx: Db, lines: SQL): Promise<ExceptionType[]> {
  return openUnassignedCasesFrom(tx, statementOnlyCaseRows(lines));
}

function statementOnlyCaseRows(lines: SQL): SQL {
  const at = sql`l.completed_at`;
  const account = sql`case when coalesce(l.account_no, '') <> '' then ', A/C ' || l.account_no else '' end`;
  return sql`select 'statement_only' as type, ${statementCaseKey("statement_only", "")} || l.receipt as key,
      l.id as line_id, l.receipt, l.paid_in_kes as amount,
      ${kesSql(sql`l.paid_in_kes`)} || ' arrived ' || ${eatSql(at)} || ' (receipt ' || l.receipt || ${account} || ') and no payment knows it' as summary,
      jsonb_build_object('statement', jsonb_build_object('receipt', l.receipt, 'amountKes', l.paid_in_kes,
        'completedAt', ${isoSql(at)}, 'accountNo', l.account_no, 'otherPartyInfo', l.other_party_info,
        'reasonType', l.reason_type), 'ambiguousCandidates', '[]'::jsonb) as details
    from ${lines} l order by l.id`;
}

// "KES 5,000 in, 1 Dec 2026, 10:15:39 EAT" for the columns of `t` named with `prefix`.
const factsSql = (t: string, prefix: string): SQL => {
  const col = (name: string) => sql.raw(`${t}.${prefix}${name}`);
  const money = sql`case when ${col("direction")} = 'out' then ${col("withdrawn_kes")} else ${col("paid_in_kes")} end`;
  return sql`${kesSql(money)} || ' ' || ${col("direction")} || ', ' || coalesce(${eatSql(col("completed_at"))}, 'no completion time')`;
};

/**
 * Completed rows of this import's staging that repeat a receipt already booked, earlier in the same
 * file or by an earlier import, with another amount or direction, or a time a minute or more apart
 * (a file re-saved in Excel loses the seconds): only the first line is kept, so each such row is a
 * statement_conflict case for a person, keyed by its facts (the same disagreement seen in two files
 * opens one case). The row is no line of its own and the booked line may belong to another import,
 * so the case names no line; its details say which import and row found it. Exact repeats, and
 * Failed rows (no money), are left out quietly, as before. Returns how many rows disagree. Called by
 * the store step after its last move, while staging still holds the rows.
 */
export async function openConflictingCopyCases(tx: Db, importId: string): Promise<number> {
  const rows = sql`select s.*, held.id as held_id, held.import_id as held_import_id,
      held.direction as held_direction, held.paid_in_kes as held_paid_in_kes,
      held.withdrawn_kes as held_withdrawn_kes, held.completed_at as held_completed_at
    from statement_staging s
    join statement_lines held on held.receipt = s.receipt and held.transaction_status = s.transaction_status
    where s.import_id = ${importId} and held.id <> s.line_id and s.transaction_status = 'Completed'
      and ((held.direction, held.paid_in_kes, held.withdrawn_kes)
          is distinct from (s.direction, s.paid_in_kes, s.withdrawn_kes)
        or abs(extract(epoch from held.completed_at - s.completed_at)) >= 60)`;
  const [counted] = rowsOf<{ n: number | string }>(
    await tx.execute(sql`select count(*) as n from (${rows}) c`),
  );
  const n = Number(counted?.n ?? 0);
  if (n === 0) return 0;
  await openUnassignedCasesFrom(
    tx,
    sql`select 'statement_conflict' as type,
      'statement_conflict:statement:' || c.receipt || ':' || c.transaction_status || ':' || c.direction || ':'
        || coalesce(c.paid_in_kes, 0) || ':' || coalesce(c.withdrawn_kes, 0) || ':' || coalesce(${isoSql(sql`c.completed_at`)}, '') as key,
      null::bigint as line_id, c.receipt,
      case when c.direction = 'out' then c.withdrawn_kes else c.paid_in_kes end as amount,
      'Receipt ' || c.receipt || ' appears again in row ' || c.row_no || ' as ' || ${factsSql("c", "")}
        || ', but the line already booked for it says ' || ${factsSql("c", "held_")} || '; only the booked line counts' as summary,
      jsonb_build_object(
        'statement', jsonb_build_object('importId', c.import_id, 'receipt', c.receipt, 'row', c.row_no,
          'direction', c.direction, 'paidInKes', c.paid_in_kes, 'withdrawnKes', c.withdrawn_kes,
          'completedAt', ${isoSql(sql`c.completed_at`)}, 'accountNo', c.account_no, 'otherPartyInfo', c.other_party_info),
        'booked', jsonb_build_object('lineId', c.held_id, 'importId', c.held_import_id, 'direction', c.held_direction,
          'paidInKes', c.held_paid_in_kes, 'withdrawnKes', c.held_withdrawn_kes,
          'completedAt', ${isoSql(sql`c.held_completed_at`)})) as details
    from (${rows}) c order by c.line_id`,
  );
  return n;
}

export function emptyMatchSummary(): MatchSummary {
  return {
    matched: 0,
    receiptsAttached: 0,
    proposed: 0,
    exceptions: 0,
    unmatched: 0,
    reversals: 0,
    reversalsUnlinked: 0,
    refunded: 0,
    missingFromStatement: 0,
    exceptionsByType: {},
  };
}

export function countException(summary: MatchSummary, type: string, n: number) {
  summary.exceptionsByType[type] = (summary.exceptionsByType[type] ?? 0) + n;
}

export function describeLine(
  line: Pick<StatementLine, "receipt" | "paidInKes" | "completedAt" | "accountNo">,
): string {
  return `statement line ${line.receipt} (${formatKes(line.paidInKes)}, ${formatEat(line.completedAt)}${line.accountNo ? `, A/C ${line.accountNo}` : ""})`;
}

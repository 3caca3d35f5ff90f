// The one way statement matching opens cases: many at once, with the dedupe keys the
// per-line matcher used (`<type>:statement:<receipt>`), so an import run twice, or a statement that
// overlaps an earlier one, never opens the same fact twice. The rule is the exception gate's
// (ledger/cases.server.ts): INSERT … ON CONFLICT (dedupe_key) DO NOTHING, and a timeline event for
// each new case that names a payment. The rows travel as one JSON parameter (a 20,000-line statement
// of unknown money is a few statements, not thousands); cases naming a payment, which are few, go
// through the gate's own bulk command. One place to change if the gate's conventions do.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client";
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

// "KES 5,000 in, 1 Dec 2026, 10:15:39 EAT" for a staged row or a stored line (`t`).
const factsSql = (t: string): SQL => {
  const money = sql.raw(
    `case when ${t}.direction = 'out' then ${t}.withdrawn_kes else ${t}.paid_in_kes end`,
  );
  return sql`${kesSql(money)} || ' ' || ${sql.raw(`${t}.direction`)} || ', ' || coalesce(${eatSql(sql.raw(`${t}.completed_at`))}, 'no completion time')`;
};

/**
 * Rows of this import's staging that repeat a receipt (and status) already booked, earlier in the same
 * file or by an earlier import, with another amount, direction or time: only the first line is kept,
 * so each such row is a statement_conflict case for a person, keyed by its facts (the same
 * disagreement seen in two files opens one case). Exact repeats are left out quietly, as before.
 * Returns how many cases were opened. Called by the store step before it empties staging.
 */
export async function openConflictingCopyCases(tx: Db, importId: string): Promise<number> {
  const opened = await openUnassignedCasesFrom(
    tx,
    sql`select 'statement_conflict' as type,
      'statement_conflict:statement:' || s.receipt || ':' || s.transaction_status || ':' || s.direction || ':'
        || coalesce(s.paid_in_kes, 0) || ':' || coalesce(s.withdrawn_kes, 0) || ':' || coalesce(${isoSql(sql`s.completed_at`)}, '') as key,
      held.id as line_id, s.receipt,
      case when s.direction = 'out' then s.withdrawn_kes else s.paid_in_kes end as amount,
      'Receipt ' || s.receipt || ' appears again in row ' || s.row_no || ' as ' || ${factsSql("s")}
        || ', but the line already booked for it says ' || ${factsSql("held")} || '; only the booked line counts' as summary,
      jsonb_build_object(
        'statement', jsonb_build_object('receipt', s.receipt, 'row', s.row_no, 'status', s.transaction_status,
          'direction', s.direction, 'paidInKes', s.paid_in_kes, 'withdrawnKes', s.withdrawn_kes,
          'completedAt', ${isoSql(sql`s.completed_at`)}, 'accountNo', s.account_no, 'otherPartyInfo', s.other_party_info),
        'booked', jsonb_build_object('lineId', held.id, 'importId', held.import_id, 'direction', held.direction,
          'paidInKes', held.paid_in_kes, 'withdrawnKes', held.withdrawn_kes,
          'completedAt', ${isoSql(sql`held.completed_at`)})) as details
    from statement_staging s
    join statement_lines held on held.receipt = s.receipt and held.transaction_status = s.transaction_status
    where s.import_id = ${importId} and held.id <> s.line_id
      and (held.direction, held.paid_in_kes, held.withdrawn_kes, held.completed_at)
        is distinct from (s.direction, s.paid_in_kes, s.withdrawn_kes, s.completed_at)
    order by s.line_id`,
  );
  return opened.length;
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

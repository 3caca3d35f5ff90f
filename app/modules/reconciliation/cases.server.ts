// The one way statement matching opens cases (issue 18): many at once, with the dedupe keys the
// per-line matcher used (`<type>:statement:<receipt>`), so an import run twice, or a statement that
// overlaps an earlier one, never opens the same fact twice. The rule is the exception gate's
// (exceptions/open.server.ts): INSERT … ON CONFLICT (dedupe_key) DO NOTHING, and a timeline event for
// each new case that names a payment. The rows travel as one JSON parameter (a 20,000-line statement
// of unknown money is a few statements, not thousands); cases naming a payment, which are few, go
// through the gate's own bulk command. One place to change if the gate's conventions do.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import type { ExceptionType } from "../../../db/schema";
import { openExceptions } from "../exceptions/open.server";
import type { EventActor } from "../payments/events.server";

export type StatementCase = {
  type: "amount_mismatch" | "time_mismatch" | "statement_only";
  lineId: number;
  receipt: string;
  paymentId: string | null;
  amountKes: number;
  summary: string;
  details: unknown;
};

export function statementCaseKey(type: StatementCase["type"], receipt: string): string {
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
      key: statementCaseKey(c.type, c.receipt),
      lineId: c.lineId,
      receipt: c.receipt,
      amount: c.amountKes,
      summary: c.summary,
      details: c.details ?? null,
    }));
    const inserted = rowsOf<{ type: ExceptionType }>(
      await tx.execute(sql`
      insert into exceptions (type, dedupe_key, statement_line_id, receipt, amount_at_stake_kes, summary, details)
      select type, key, "lineId", receipt, amount, summary, details
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(type text, key text, "lineId" bigint, receipt text, amount bigint, summary text, details jsonb)
      on conflict (dedupe_key) do nothing returning type`),
    );
    opened.push(...inserted.map((r) => r.type));
  }
  const named = cases.filter((c) => c.paymentId !== null);
  if (named.length === 0) return opened;
  return opened.concat(
    await openExceptions(
      tx,
      actor,
      named.map((c) => ({
        type: c.type,
        dedupeKey: statementCaseKey(c.type, c.receipt),
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

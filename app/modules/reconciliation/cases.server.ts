// The one way statement matching opens cases (issue 18): many at once, with the dedupe keys the
// per-line matcher used (`<type>:statement:<receipt>`), so an import run twice, or a statement that
// overlaps an earlier one, never opens the same fact twice. It hands the cases to the exception gate's
// bulk command (one INSERT … ON CONFLICT (dedupe_key) DO NOTHING, a timeline event per new case that
// names a payment); keeping it here gives the gate one place to change if its conventions do.
import type { Db } from "../../../db/client";
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
  return openExceptions(
    tx,
    actor,
    cases.map((c) => ({
      type: c.type,
      dedupeKey: statementCaseKey(c.type, c.receipt),
      paymentId: c.paymentId,
      statementLineId: c.lineId,
      receipt: c.receipt,
      amountAtStakeKes: c.amountKes,
      summary: c.summary,
      details: c.details,
    })),
  );
}

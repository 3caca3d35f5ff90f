// The latest Account Balance snapshot beside the statement's own running balance at the same moment
// (docs/daraja.md#account-balance, #statement-columns): the statement's Balance column, on the last
// Completed line at or before the snapshot, in an import whose period covers the snapshot. The
// statement's preamble Closing Balance is not stored, so the running balance is what we compare.
// A difference opens a `balance_mismatch` case (once per snapshot).
import { and, desc, eq, gte, lte } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  balanceSnapshots,
  statementImports,
  statementLines,
  type BalanceSnapshot,
} from "../../../db/schema";
import { openException } from "../ledger/cases.server";
import type { EventActor } from "../ledger/events.server";
import { toCents } from "../daraja/results";
import { rawCell } from "../reconciliation/statement-cells.server";

export type BalanceComparison = {
  snapshot: {
    takenAt: string;
    utilityCents: number | null;
    accounts: BalanceSnapshot["accounts"];
  } | null;
  statement: { balanceCents: number; at: string; receipt: string } | null;
  differenceCents: number | null;
};

/** The statement's running balance at `at`, or null when no imported statement covers that moment. */
export async function statementBalanceAt(
  db: Db,
  at: Date,
): Promise<BalanceComparison["statement"]> {
  const [line] = await db
    .select({
      receipt: statementLines.receipt,
      completedAt: statementLines.completedAt,
      balance: rawCell("Balance"),
    })
    .from(statementLines)
    .innerJoin(statementImports, eq(statementImports.id, statementLines.importId))
    .where(
      and(
        lte(statementLines.completedAt, at),
        gte(statementImports.periodTo, at),
        eq(statementLines.transactionStatus, "Completed"),
      ),
    )
    .orderBy(desc(statementLines.completedAt), desc(statementLines.id))
    .limit(1);
  const cents = line?.balance ? toCents(line.balance) : null;
  if (!line?.completedAt || cents === null) return null;
  return { balanceCents: cents, at: line.completedAt.toISOString(), receipt: line.receipt };
}

export async function getBalanceComparison(db: Db): Promise<BalanceComparison> {
  const snapshot = await latestBalanceSnapshot(db);
  if (!snapshot) return { snapshot: null, statement: null, differenceCents: null };
  const statement = await statementBalanceAt(db, snapshot.takenAt);
  return {
    snapshot: {
      takenAt: snapshot.takenAt.toISOString(),
      utilityCents: snapshot.utilityCents,
      accounts: snapshot.accounts,
    },
    statement,
    differenceCents:
      statement && snapshot.utilityCents !== null
        ? snapshot.utilityCents - statement.balanceCents
        : null,
  };
}

const kes = (cents: number) =>
  `KES ${(cents / 100).toLocaleString("en-KE", { minimumFractionDigits: 2 })}`;

/** Opens a case when the snapshot and the statement disagree; returns the difference (or null). */
export async function checkSnapshotAgainstStatement(
  db: Db,
  actor: EventActor,
  snapshot: Pick<BalanceSnapshot, "id" | "takenAt" | "utilityCents">,
): Promise<number | null> {
  if (snapshot.utilityCents === null) return null;
  const statement = await statementBalanceAt(db, snapshot.takenAt);
  if (!statement) return null;
  const difference = snapshot.utilityCents - statement.balanceCents;
  if (difference === 0) return 0;
  await openException(db, actor, {
    type: "balance_mismatch",
    dedupeKey: `balance_mismatch:${snapshot.id}`,
    summary: `M-Pesa's Utility Account balance (${kes(snapshot.utilityCents)}) differs from the statement's running balance (${kes(statement.balanceCents)} after ${statement.receipt}) by ${kes(difference)}`,
    receipt: statement.receipt,
    // Cases count whole shillings; cents round away from zero so a difference is never zero here.
    amountAtStakeKes: Math.ceil(Math.abs(difference) / 100),
    details: { snapshotId: snapshot.id, statement, utilityCents: snapshot.utilityCents },
  });
  return difference;
}

export async function latestBalanceSnapshot(db: Db): Promise<BalanceSnapshot | null> {
  const [row] = await db
    .select()
    .from(balanceSnapshots)
    .orderBy(desc(balanceSnapshots.takenAt), desc(balanceSnapshots.id))
    .limit(1);
  return row ?? null;
}

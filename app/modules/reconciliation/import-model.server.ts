// What a statement import is while it runs and when it is done: its states, counts and progress,
// the message finance reads, and dropping an import that stored nothing. Shared by the import steps
// (import.server.ts) and the job that runs them (import-job.server.ts).
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { statementImports } from "../../../db/schema";
import type { MatchSummary } from "./match.server";

export type ImportCounts = {
  lines: number;
  newLines: number;
  knownLines: number;
  failed: number;
  paidInKes: number;
  withdrawnKes: number;
  /** Rows repeating a booked receipt with other facts: a statement_conflict case each (absent before). */
  conflicts?: number;
  /** The preamble's own totals disagree with the rows (a truncated or edited file). */
  totalsWarning: string | null;
};

export type ImportSummary = ImportCounts & {
  importedBy: string;
  match: MatchSummary | null;
  timings?: { storeMs: number; matchMs: number };
};

export type ImportResult = {
  status: "imported" | "already_imported";
  importId: string;
  message: string;
  summary: ImportSummary;
};

export type ImportState = "uploading" | "queued" | "storing" | "matching" | "done" | "failed";

export type ImportProgress = {
  state: ImportState;
  parsed: number;
  stored: number;
  matched: number;
  /** Lines in the file, once parsing has finished. */
  lines: number | null;
};

export type ProgressListener = (progress: ImportProgress) => void;

/** What the queue step hands back: a new import to run, or the import of the same file that already exists. */
export async function discard(db: Db, importId: string) {
  await db.delete(statementImports).where(eq(statementImports.id, importId));
}

export function importMessage(fileName: string, s: ImportSummary): string {
  const parts = [
    `Imported ${s.lines.toLocaleString("en-KE")} lines from "${fileName}": ${s.newLines.toLocaleString("en-KE")} new`,
  ];
  const known = s.knownLines - (s.conflicts ?? 0);
  if (known)
    parts.push(`${known.toLocaleString("en-KE")} already known from an earlier import (unchanged)`);
  if (s.conflicts)
    parts.push(
      `${s.conflicts.toLocaleString("en-KE")} repeating a booked receipt with another amount or time (a case each)`,
    );
  if (s.failed) parts.push(`${s.failed.toLocaleString("en-KE")} failed rows skipped`);
  const m = s.match;
  if (m) {
    parts.push(
      `${m.matched.toLocaleString("en-KE")} matched, ${m.proposed.toLocaleString("en-KE")} proposed for confirmation, ${m.exceptions.toLocaleString("en-KE")} exceptions`,
    );
    if (m.reversals) parts.push(`${m.reversals} reversals`);
    if (m.missingFromStatement)
      parts.push(`${m.missingFromStatement} paid payments missing from the statement`);
  }
  return `${parts.join(", ")}.${s.totalsWarning ? ` Warning: ${s.totalsWarning}` : ""}`;
}

// Planner statistics for the import's tables. Without them the planner takes a just-filled table for
// a few rows and joins it row by row; a full ANALYZE (a 30,000-row sample) is slow enough to show in an
// import's time (0.8 s for 200,000 stored lines), while a 3,000-row sample takes a tenth of it and
// gives the planner what the import's joins need: how big the table is and which values repeat.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";

/** Lines an import must add before statistics are refreshed at all (below it the change is small). */
export const ANALYZE_MIN_LINES = 20_000;

/**
 * Whether an import that added `newLines` lines to a table PostgreSQL last counted at `reltuples`
 * (-1: never counted) should refresh its statistics: when it grows the table by a tenth or more, the
 * share at which autovacuum's own default (autovacuum_analyze_scale_factor) would analyse it. A table
 * already much bigger keeps the statistics autovacuum gathered with its full sample.
 */
export function needsFreshStatistics(newLines: number, reltuples: number): boolean {
  if (newLines < ANALYZE_MIN_LINES) return false;
  return reltuples < 0 || newLines * 10 >= reltuples;
}

/** ANALYZE from a small sample (inside the caller's transaction, so it counts the rows just written). */
export async function analyzeSampled(tx: Db, table: "statement_lines" | "statement_staging") {
  await tx.execute(sql`set local default_statistics_target = 10`);
  await tx.execute(sql.raw(`analyze ${table}`));
  await tx.execute(sql`reset default_statistics_target`);
}

/** After an import stored `newLines` lines: refreshes statement_lines' statistics if they are stale. */
export async function refreshLineStatistics(tx: Db, newLines: number): Promise<boolean> {
  if (newLines < ANALYZE_MIN_LINES) return false;
  const [row] = rowsOf<{ reltuples: number | string }>(
    await tx.execute(sql`select reltuples from pg_class where oid = 'statement_lines'::regclass`),
  );
  if (!needsFreshStatistics(newLines, Number(row?.reltuples ?? -1))) return false;
  await analyzeSampled(tx, "statement_lines");
  return true;
}

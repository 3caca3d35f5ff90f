// Planner statistics for the import's tables. Without them the planner takes a just-filled table for
// a few rows and joins it row by row; a full ANALYZE (a 30,000-row sample) of 200,000 just-stored lines
// took 0.5–0.6 s of the import (0.8 s alone in psql), while a 3,000-row sample takes a tenth of it and
// gives the planner what the import's joins need: how big the table is and which values repeat.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";

/** Lines an import must add before statistics are refreshed at all (below it the change is small). */
export const ANALYZE_MIN_LINES = 20_000;

/** What PostgreSQL knew of the table at its last ANALYZE, and its size now (in pages). */
export type TableSize = { reltuples: number; relpages: number; pages: number };

/**
 * Whether an import that added `newLines` lines should refresh the table's statistics: when it was
 * never analysed, or has grown by a tenth or more since it last was (the share at which autovacuum's
 * own default, autovacuum_analyze_scale_factor, would analyse it). Growth is counted in pages since the
 * last ANALYZE, whatever added them, so a run of imports that are each small beside the table still
 * refreshes it; PGlite has no autovacuum and relies on this alone.
 */
export function needsFreshStatistics(newLines: number, size: TableSize): boolean {
  if (newLines < ANALYZE_MIN_LINES) return false;
  if (size.reltuples < 0 || size.relpages === 0) return true;
  return size.pages * 10 >= size.relpages * 11;
}

/**
 * ANALYZE from a small sample, inside the caller's transaction (so it counts the rows just written).
 * SET LOCAL ends with the transaction: the connection goes back to the pool with its own setting.
 */
export async function analyzeSampled(tx: Db, table: "statement_lines" | "statement_staging") {
  await tx.execute(sql`set local default_statistics_target = 10`);
  await tx.execute(sql.raw(`analyze ${table}`));
}

/** After an import stored `newLines` lines: refreshes statement_lines' statistics if they are stale. */
export async function refreshLineStatistics(tx: Db, newLines: number): Promise<boolean> {
  const [row] = rowsOf<{ reltuples: number | string; relpages: number | string; pages: string }>(
    await tx.execute(
      sql`select reltuples, relpages, (pg_relation_size(oid) / current_setting('block_size')::int)::text as pages
        from pg_class where oid = 'statement_lines'::regclass`,
    ),
  );
  const size = {
    reltuples: Number(row?.reltuples ?? -1),
    relpages: Number(row?.relpages ?? 0),
    pages: Number(row?.pages ?? 0),
  };
  if (!needsFreshStatistics(newLines, size)) return false;
  await analyzeSampled(tx, "statement_lines");
  return true;
}

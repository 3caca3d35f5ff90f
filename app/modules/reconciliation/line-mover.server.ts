// Moving a statement's staged rows into statement_lines (the store step's transaction, staging.server.ts):
// piece by piece on PostgreSQL while the file is still being parsed, all at once on PGlite.
import { sql, type SQL } from "drizzle-orm";
import { isUniqueViolation, rowsOf, type Db } from "../../../db/client";
import { openConflictingCopyCases } from "./cases.server";
import { analyzeSampled } from "./import-statistics.server";
import { MATCH_OWNED } from "./match-owned.server";
import type { MatchTrace } from "./match.server";
import type { CopyPiece } from "./staging-copy.server";

/** Lines the store step wrote settled (not `new`), and of them matched: matching's first count. */
export type StoreSettled = { settled: number; matched: number };

export type LineMover = {
  /** A piece was committed to staging: move it (in the background, one move at a time). */
  kick(piece?: CopyPiece): void;
  /** Throws what a background move failed with. */
  check(): void;
  /**
   * No move starts after this; waits for the one in progress, without throwing (safe to call twice).
   * Called when parsing fails, before the staged rows are deleted, and before the transaction ends, on
   * success or failure: a move still running on the connection as the transaction ended committed
   * the lines of a run that had lost its claim (import-recovery.server.test.ts, about half its runs).
   */
  close(): Promise<void>;
  /**
   * Moves what is left, checks every parsed row was moved, and opens a case for each row left out that
   * disagrees with the line booked for its receipt; returns how many lines were inserted and cases opened.
   */
  finish(
    parsedLines: number,
  ): Promise<{ inserted: number; conflicts: number; settled: StoreSettled }>;
};

// Moves staged rows of one import into statement_lines, in file order. PostgreSQL: each call takes the
// pieces COPY reported since the last one (COPY pieces commit one after another and take their ids
// from a sequence in file order, so a piece is the range up to its last line id); PGlite: one call
// after parsing takes every staged row.
export async function lineMover(
  tx: Db,
  importId: string,
  matchOwned: boolean,
  /** PostgreSQL, where each move is a piece of the file (PGlite moves the whole file at once). */
  pieces: boolean,
  trace?: MatchTrace,
): Promise<LineMover> {
  // Each statement of an import runs once over many rows; PostgreSQL's JIT spent 20–300 ms compiling
  // each one, more than it saved (PGlite has no JIT and accepts the setting).
  await tx.execute(sql`set local jit = off`);
  // The reference check on the inserted lines (migration 0030) reads them from a transition table: a
  // move's rows (about 20 MB for 40,000 lines) are kept in memory instead of a temporary file. Not on
  // PGlite: its one move holds the whole file, which spills to a file either way, and the memory the
  // embedded database takes for sorts and hashes stays this process's for good.
  if (pieces) await tx.execute(sql`set local work_mem = '64MB'`);
  // Lines whose receipt a payment owns, amount and time agreeing, are written matched at once
  // (MATCH_OWNED): each line is written once instead of inserted `new` and rewritten by matching.
  const owned = matchOwned
    ? MATCH_OWNED
    : { state: sql`s.match_state`, payment: sql`null::uuid`, join: sql`` };
  let after: string | null = null;
  let inserted = 0;
  const settled: StoreSettled = { settled: 0, matched: 0 };
  let staged = 0;
  let moves = 0;
  let started = false;
  // PostgreSQL: a piece met a receipt already held, so every later piece leaves held receipts out.
  let overlaps = false;
  let movedMs = 0;
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  // PostgreSQL: the pieces COPY committed and no move has taken yet (their bounds come with them).
  let waiting: CopyPiece[] = [];
  // Rows whose receipt a line already holds (an earlier import's, or an earlier move's of this one) are
  // left out: each staged row looks its receipt up in the unique index (OFFSET 0 keeps the subquery a
  // per-row lookup), so a piece costs as many lookups as it has rows whatever the table's size, and the
  // planner cannot take statement_lines for empty (its statistics do not count this transaction's lines)
  // and rescan it for every row.
  const held = sql`and not exists (select 1 from statement_lines held
    where held.receipt = s.receipt and held.transaction_status = s.transaction_status offset 0)`;
  const insertLines = async (db: Db, range: SQL, leaveOut: SQL, onConflict: SQL) => {
    const [row] = rowsOf<Record<"n" | "settled" | "matched", number | string>>(
      await db.execute(sql`
      with ins as (
        insert into statement_lines (id, import_id, receipt, transaction_status, completed_at, initiated_at, direction, paid_in_kes,
          withdrawn_kes, details, reason_type, other_party_info, linked_transaction_id, account_no, match_state, raw,
          party_phone, party_msisdn_raw, party_msisdn_kind, party_name, bill_ref_norm, payment_id)
        select s.line_id, ${importId}::uuid, s.receipt, s.transaction_status, s.completed_at, s.initiated_at, s.direction,
          s.paid_in_kes, s.withdrawn_kes, s.details, s.reason_type, s.other_party_info, s.linked_transaction_id, s.account_no,
          ${owned.state}, s.raw, s.party_phone, s.party_msisdn_raw, s.party_msisdn_kind, s.party_name, s.bill_ref_norm, ${owned.payment}
        from statement_staging s ${owned.join}
        where s.import_id = ${importId} ${range} ${leaveOut}
        ${onConflict} returning match_state)
      select count(*) as n, count(*) filter (where match_state <> 'new') as settled,
        count(*) filter (where match_state = 'matched') as matched from ins`),
    );
    settled.settled += Number(row?.settled ?? 0);
    settled.matched += Number(row?.matched ?? 0);
    return Number(row?.n ?? 0);
  };
  // What a move takes. PostgreSQL: the pieces reported since the last move, each counted on the COPY
  // connection once the server confirmed it (staging-copy.server.ts). PGlite: everything staged after
  // the last line moved.
  const bounds = async (): Promise<{ top: string | null; n: number }> => {
    const from = after === null ? sql`` : sql`and s.line_id > ${after}::bigint`;
    if (pieces) {
      const taken = waiting;
      waiting = [];
      const last = taken[taken.length - 1];
      return { top: last?.lastLineId ?? null, n: taken.reduce((sum, p) => sum + p.rows, 0) };
    }
    const [row] = rowsOf<{ top: string | null; n: number | string }>(
      await tx.execute(sql`select max(s.line_id)::text as top, count(*) as n from statement_staging s
        where s.import_id = ${importId} ${from}`),
    );
    return { top: row?.top ?? null, n: Number(row?.n ?? 0) };
  };
  let closed = false;
  const move = async () => {
    if (closed) return;
    const t0 = performance.now();
    if (!started) {
      // Store steps take turns inserting lines (from their first move, so imports parse side by side):
      // no other import inserts a receipt between a move's look at what is held and its insert.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('statement_lines:store'))`);
      // Fresh statistics of the rows just staged: without them the planner takes the import for a few
      // rows and joins it to receipts row by row. A small sample is enough (3,000 rows instead of
      // 30,000 took the ANALYZE from 0.5 s to a tenth of it).
      await analyzeSampled(tx, "statement_staging");
      started = true;
    }
    const { top, n } = await bounds();
    if (!top) return;
    const range = sql`${after === null ? sql`` : sql`and s.line_id > ${after}::bigint`} and s.line_id <= ${top}::bigint`;
    // A receipt is stored once (statement_lines_receipt_key). Three ways to keep to it, cheapest first:
    // - PostgreSQL, until a piece meets a receipt already held: a plain INSERT, in a savepoint of the
    //   driver's own (postgres.js fails the whole transaction for a failed query unless it failed in
    //   one). The unique key refuses the piece if any of its receipts is held; a statement of a period
    //   not imported before (the usual upload) never pays for the lookups below (a sixth of the move in psql);
    // - after that (a statement overlapping an earlier one, or repeating a receipt in a later piece),
    //   the held receipts are left out by the anti-join above;
    // - rows that repeat a receipt among themselves (rare: the anti-join cannot see the other row of the
    //   same piece) need ON CONFLICT as well, in file order so the first row in the file wins. ON
    //   CONFLICT DO NOTHING costs a speculative insertion per row (half the INSERT's time), so only a
    //   piece the unique key refused takes it. PGlite's one move holds the whole file, so it asks first
    //   instead of risking a second pass.
    const conflict = sql`order by s.line_id on conflict (receipt, transaction_status) do nothing`;
    if (!pieces) {
      const [repeats] = rowsOf<{ any: boolean }>(
        await tx.execute(sql`select exists (select 1 from statement_staging s where s.import_id = ${importId} ${range}
          group by s.receipt, s.transaction_status having count(*) > 1) as any`),
      );
      inserted += await insertLines(tx, range, held, repeats?.any ? conflict : sql``);
    } else {
      const attempt = async (leaveOut: SQL) => {
        try {
          inserted += await tx.transaction((move) => insertLines(move, range, leaveOut, sql``));
          return true;
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          return false;
        }
      };
      if (overlaps || !(await attempt(sql``))) {
        overlaps = true;
        if (!(await attempt(held))) inserted += await insertLines(tx, range, held, conflict);
      }
    }
    staged += n;
    moves += 1;
    after = top;
    movedMs += performance.now() - t0;
  };
  return {
    kick(piece) {
      if (piece) waiting.push(piece);
      chain = chain.then(move);
      chain.catch((error) => (failure ??= error));
    },
    check() {
      if (failure) throw failure;
    },
    async close() {
      closed = true;
      await chain.catch(() => {});
    },
    async finish(parsedLines) {
      const t0 = performance.now();
      await chain;
      await move();
      // The moves' own time, most of it beside parsing on PostgreSQL, and the wait after parsing.
      trace?.(`insert lines (${moves} ${moves === 1 ? "move" : "moves"})`, movedMs);
      trace?.("insert lines (after parsing)", performance.now() - t0);
      // Every parsed row must have been staged and moved: a piece the database lost (postgres.js can
      // take a COPY that failed at its very end for one that succeeded) fails the import here.
      if (staged !== parsedLines)
        throw new Error(
          `statement import: ${parsedLines} rows were parsed but ${staged} reached the database`,
        );
      // Every row was new (a statement not seen before): nothing was left out, so nothing to compare.
      // The staged rows are left for freeFile (import-model.server.ts), which deletes them with the file
      // once the lines are stored: no run moves the rows of a stored import again.
      const conflicts = inserted < staged ? await openConflictingCopyCases(tx, importId) : 0;
      return { inserted, conflicts, settled };
    },
  };
}

// The parser's rows go by COPY (text format) into statement_staging. One encoding, two sinks: postgres.js
// streams COPY FROM STDIN in pieces (each piece commits on its own, so the store step's transaction can
// move it into statement_lines while the next piece is parsed and copied), PGlite reads a blob per batch
// (COPY FROM '/dev/blob').
import { once } from "node:events";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { Db } from "../../../db/client";
import { within } from "../../lib/within";
import { normalizeBillRef } from "./c2b-parse";
import type { StatementLine } from "./statement-parse.server";

const PGLITE_COPY_ROWS = 10_000;
/** Rows per COPY statement on PostgreSQL: each committed piece is moved while the next one streams. */
const COPY_PIECE_ROWS = 20_000;
/** How far the parser may run ahead of the server (rows handed over but not yet sent). */
const COPY_AHEAD_BYTES = 4 << 20;
const SEND_BYTES = 256 * 1024;
/** A block's room: a block is sent once it holds SEND_BYTES, so the last row always fits. */
const BLOCK_BYTES = SEND_BYTES + 64 * 1024;

const STAGING_COLUMNS =
  "import_id, row_no, receipt, transaction_status, completed_at, initiated_at, direction, paid_in_kes, withdrawn_kes, details, reason_type, other_party_info, linked_transaction_id, account_no, match_state, raw, party_phone, party_msisdn_raw, party_msisdn_kind, party_name, bill_ref_norm";

/** A piece the server committed: its rows and the line id of its last row. */
export type CopyPiece = { rows: number; lastLineId: string };

export type CopySink = {
  /** Queues one row (COPY text format); returns how many rows the database has been handed so far. */
  write(row: string): Promise<number>;
  end(): Promise<number>;
  abort(): Promise<void>;
  /** Pieces the server has committed (PostgreSQL; 0 on PGlite). */
  pieces(): number;
};

type PgliteTx = {
  query(text: string, params?: unknown[], options?: { blob?: Blob }): Promise<unknown>;
};
type PostgresQuery = { writable(): Promise<Writable> };
type Reserved = {
  unsafe(text: string, params?: unknown[]): PostgresQuery & Promise<{ pid: number }[]>;
  release(): void;
};
type PostgresSql = Reserved & { reserve(): Promise<Reserved> };

function rawClient(db: Db): unknown {
  return (db as unknown as { session: { client: unknown } }).session.client;
}

export function driverOf(db: Db): "postgres" | "pglite" {
  const client = rawClient(db) as { unsafe?: unknown };
  return typeof client.unsafe === "function" ? "postgres" : "pglite";
}

/**
 * A sink for the staging rows. `onPiece` is called after each piece the server has committed, in
 * order (PostgreSQL); PGlite hands batches over without pieces.
 */
export async function copySink(
  db: Db,
  /** The import whose rows these are (each row names it too). */
  importId: string,
  onPiece?: (piece: CopyPiece) => void,
  pieceRows = COPY_PIECE_ROWS,
  /** Tests only: how long a piece may wait for the server's confirmation. */
  confirmMs = PIECE_CONFIRM_MS,
): Promise<CopySink> {
  const statement = `copy statement_staging (${STAGING_COLUMNS}) from %s`;
  if (driverOf(db) === "postgres") {
    // The pieces run on a connection of their own: postgres.js may pipeline another query onto a busy
    // pooled connection, and one in COPY would refuse it (COPY_IN_PROGRESS).
    const client = rawClient(db) as PostgresSql;
    const reserved = await client.reserve();
    const [{ pid }] = await reserved.unsafe("select pg_backend_pid() as pid");
    return piecedCopy({
      // A postgres.js query runs once: each piece is a query of its own.
      openPiece: () => reserved.unsafe(statement.replace("%s", "stdin")).writable(),
      // What the server holds of the piece just confirmed: COPY took each row's line id from the
      // sequence, in file order, on this connection, so the piece is the import's rows after the last
      // piece's last id. Counted here, on the COPY connection, rather than by the mover, whose
      // connection is the store step's bottleneck.
      taken: async (after: string) => {
        // Both ends of the range as values: with the upper one left open (or given as currval(), which
        // no index can use) the planner may read the whole staging table for every piece.
        const [{ last }] = (await reserved.unsafe(
          "select currval('statement_lines_id_seq')::text as last",
        )) as unknown as { last: string }[];
        const [row] = (await reserved.unsafe(
          `select count(*)::int as n from statement_staging
          where import_id = $1 and line_id > $2::bigint and line_id <= $3::bigint`,
          [importId, after, last],
        )) as unknown as { n: number }[];
        return { rows: row.n, lastLineId: last };
      },
      // The connection goes back once it answers a query, after whatever an abandoned or unconfirmed
      // COPY left to say. One that does not answer is ended instead, and never handed back: postgres.js
      // returns a closed connection to the pool by itself, and releasing it too would hand a dead one
      // (or someone else's) to the next query.
      release: async () => {
        if (await answers(reserved.unsafe("select 1"), 5_000)) reserved.release();
        else await client.unsafe(`select pg_terminate_backend(${pid})`).catch(() => {});
      },
      onPiece,
      pieceRows,
      confirmMs,
    });
  }
  const client = rawClient(db) as PgliteTx;
  let handed = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const blob = new Blob(batch);
    handed += batch.length;
    batch = [];
    await client.query(statement.replace("%s", "'/dev/blob'"), [], { blob });
    // PGlite answers without I/O, so an import's chain of awaits never leaves the microtask queue:
    // without a turn of the event loop here, no request, callback or timer of this process would run
    // until the whole file was stored (the database itself is free between batches).
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    async write(row) {
      batch.push(row);
      if (batch.length >= PGLITE_COPY_ROWS) await flush();
      return handed;
    },
    async end() {
      await flush();
      return handed;
    },
    async abort() {
      batch = [];
    },
    pieces: () => 0,
  };
}

type Block = { bytes: Buffer; rows: number };

const PIECE_CONFIRM_MS = 60_000;

/** Whether the query succeeds within `ms` (a connection still in COPY refuses it at once). */
const answers = (query: Promise<unknown>, ms: number): Promise<boolean> =>
  within(
    query.then(
      () => true,
      () => false,
    ),
    ms,
    () => false,
  );

const confirmed = (stream: Writable, ms: number): Promise<void> =>
  within(finished(stream), ms, () => {
    throw new Error("the database did not confirm a piece of the statement in time");
  });

// PostgreSQL: the parser fills blocks of about 256 kB; a pump sends them, COPY_PIECE_ROWS rows per COPY
// statement, one statement after another (so line ids, taken by COPY from a sequence, stay in file
// order). The parser waits only when COPY_AHEAD_BYTES are queued, so parsing (this process) and COPY
// (the server) work at the same time, and memory stays bounded by that figure.
function piecedCopy({
  openPiece,
  taken,
  release,
  onPiece,
  pieceRows,
  confirmMs,
}: {
  openPiece: () => Promise<Writable>;
  taken: (after: string) => Promise<CopyPiece>;
  release: () => Promise<void>;
  onPiece: ((piece: CopyPiece) => void) | undefined;
  pieceRows: number;
  confirmMs: number;
}): CopySink {
  const queue: Block[] = [];
  let queuedBytes = 0;
  let ended = false;
  let failed: unknown = null;
  let current: Writable | null = null;
  let handed = 0;
  // Rows are encoded straight into the block being filled: joining them into one string first and
  // encoding that cost this process more than a second per 200,000 lines (a long string to flatten,
  // then a copy of it), on the import's critical path.
  let block = Buffer.allocUnsafe(BLOCK_BYTES);
  let blockBytes = 0;
  let bufferRows = 0;
  // Wakes whoever waits: the pump for a block, the parser for room.
  const waiting = new Set<() => void>();
  const signal = () => {
    for (const resolve of waiting) resolve();
    waiting.clear();
  };
  const waitForSignal = () => new Promise<void>((resolve) => waiting.add(resolve));

  const nextBlock = async (): Promise<Block | null> => {
    while (!queue.length && !ended && !failed) await waitForSignal();
    if (failed) throw failed;
    const block = queue.shift() ?? null;
    if (block) {
      queuedBytes -= block.bytes.length;
      signal();
    }
    return block;
  };

  let unconfirmed = false;
  let pieces = 0;
  let lastId = "0";
  // An abandoned piece is ended with CopyFail (the server rolls it back); one already ended and not
  // yet confirmed is left to its confirmation or its time limit.
  const abandon = () => {
    if (current && !unconfirmed) current.destroy(new Error("import aborted"));
  };
  const pump = (async () => {
    try {
      for (let block = await nextBlock(); block;) {
        const stream = await openPiece();
        current = stream;
        // A row the server refuses ends the COPY with an error on the stream: kept (an 'error' with no
        // listener would end the process) and thrown to the parser by its next write or by end().
        stream.on("error", (error) => {
          failed ??= error;
          signal();
        });
        if (failed) throw failed;
        let rows = 0;
        while (block) {
          if (!stream.write(block.bytes)) await once(stream, "drain");
          rows += block.rows;
          if (rows >= pieceRows) break;
          block = await nextBlock();
        }
        stream.end();
        unconfirmed = true;
        // postgres.js loses an error the server sends after the end of the data (a bad row in the last
        // megabytes): the piece would never finish. A piece not confirmed in time fails the import.
        await confirmed(stream, confirmMs);
        unconfirmed = false;
        current = null;
        // A piece the server holds less of than was sent (postgres.js can take a COPY that failed at
        // its very end for one that succeeded) fails the import here, before any of it is moved.
        const piece = await taken(lastId);
        if (piece.rows !== rows)
          throw new Error(
            `statement import: a piece of ${rows} rows reached the database as ${piece.rows}`,
          );
        lastId = piece.lastLineId;
        handed += rows;
        pieces += 1;
        onPiece?.(piece);
        if (block) block = await nextBlock();
      }
    } finally {
      abandon();
      await release();
    }
  })();
  pump.catch((error) => {
    failed ??= error;
    signal();
  });

  const push = async () => {
    if (blockBytes === 0) return;
    // A block sent before it is half full (a piece's last rows) is copied out, so what the queue
    // holds stays within twice what it counts.
    const half = blockBytes < block.length / 2;
    queue.push({
      bytes: half ? Buffer.from(block.subarray(0, blockBytes)) : block.subarray(0, blockBytes),
      rows: bufferRows,
    });
    queuedBytes += blockBytes;
    if (!half) block = Buffer.allocUnsafe(BLOCK_BYTES);
    blockBytes = 0;
    bufferRows = 0;
    signal();
    while (queuedBytes > COPY_AHEAD_BYTES && !failed) await waitForSignal();
    if (failed) throw failed;
  };
  return {
    async write(row) {
      if (failed) throw failed;
      // A UTF-8 character takes at most three bytes per UTF-16 unit.
      if (blockBytes + row.length * 3 > block.length) {
        await push();
        if (row.length * 3 > block.length) block = Buffer.allocUnsafe(row.length * 3);
      }
      blockBytes += block.write(row, blockBytes);
      bufferRows += 1;
      if (blockBytes >= SEND_BYTES || bufferRows >= pieceRows) await push();
      return handed;
    },
    async end() {
      await push();
      ended = true;
      signal();
      await pump;
      if (failed) throw failed;
      return handed;
    },
    async abort() {
      failed ??= new Error("import aborted");
      signal();
      // Also wakes a pump waiting for the server to take more data.
      abandon();
      await pump.catch(() => {});
    },
    pieces: () => pieces,
  };
}

// COPY's text format: a field is written as it is unless it holds a backslash, tab, newline or carriage
// return (escaped with a backslash); NULL is \N. Most fields hold none of them, so most rows are joined
// without a copy of any field (the CSV format quoted and re-escaped the raw cells' JSON on every row,
// the largest share of this process's time per row).
const TEXT_SPECIAL = /[\\\t\n\r]/;
const TEXT_SPECIAL_ALL = /[\\\t\n\r]/g;
const TEXT_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};

export function copyTextField(value: string | number | null): string {
  if (value === null) return "\\N";
  if (typeof value === "number") return String(value);
  return TEXT_SPECIAL.test(value)
    ? value.replace(TEXT_SPECIAL_ALL, (ch) => TEXT_ESCAPES[ch] as string)
    : value;
}

export function stagingRow(importId: string, line: StatementLine): string {
  // Only money that moved needs matching: Completed money in, and Completed money out that reverses a receipt.
  const completed = line.status === "Completed";
  const toMatch =
    completed && (line.direction === "in" ? line.paidInKes > 0 : line.linkedTransactionId !== null);
  const party = line.otherPartyMsisdn;
  const f = copyTextField;
  return `${importId}\t${line.rowNumber}\t${f(line.receipt)}\t${f(line.status)}\t${f(
    line.completedAt?.toISOString() ?? null,
  )}\t${f(line.initiatedAt?.toISOString() ?? null)}\t${f(line.direction)}\t${line.paidInKes}\t${
    line.withdrawnKes
  }\t${f(line.details || null)}\t${f(line.reasonType || null)}\t${f(line.otherPartyInfo || null)}\t${f(
    line.linkedTransactionId,
  )}\t${f(line.accountNo)}\t${toMatch ? "new" : "skipped"}\t${f(
    JSON.stringify({ row: line.rowNumber, cells: line.cells }),
  )}\t${f(party.plain ?? null)}\t${f(party.raw || null)}\t${f(party.kind)}\t${f(
    line.otherPartyName,
  )}\t${f(line.accountNo ? normalizeBillRef(line.accountNo) : null)}\n`;
}

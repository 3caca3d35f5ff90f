// The parser's rows go as CSV into COPY … statement_staging. One encoding, two sinks: postgres.js
// streams COPY FROM STDIN in pieces (each piece commits on its own, so the store step's transaction can
// move it into statement_lines while the next piece is parsed and copied), PGlite reads a blob per batch
// (COPY FROM '/dev/blob').
import { once } from "node:events";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { Db } from "../../../db/client";
import { normalizeBillRef } from "./c2b-parse";
import type { StatementLine } from "./statement-parse.server";

const PGLITE_COPY_ROWS = 10_000;
/** Rows per COPY statement on PostgreSQL: each committed piece is moved while the next one streams. */
const COPY_PIECE_ROWS = 20_000;
/** How far the parser may run ahead of the server (CSV handed over but not yet sent). */
const COPY_AHEAD_BYTES = 4 << 20;
const SEND_BYTES = 256 * 1024;

const STAGING_COLUMNS =
  "import_id, row_no, receipt, transaction_status, completed_at, initiated_at, direction, paid_in_kes, withdrawn_kes, details, reason_type, other_party_info, linked_transaction_id, account_no, match_state, raw, party_phone, party_msisdn_raw, party_msisdn_kind, party_name, bill_ref_norm";

export type CopySink = {
  /** Queues one CSV row; returns how many rows the database has been handed so far. */
  write(row: string): Promise<number>;
  end(): Promise<number>;
  abort(): Promise<void>;
};

type PgliteTx = {
  query(text: string, params?: unknown[], options?: { blob?: Blob }): Promise<unknown>;
};
type PostgresQuery = { writable(): Promise<Writable> };
type Reserved = {
  unsafe(text: string): PostgresQuery & Promise<{ pid: number }[]>;
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
 * A sink for the staging rows. `onPiece` is called (and awaited by end()) after each piece the server
 * has committed, in order; on PGlite there is one piece per batch, and the caller does not need them.
 */
export async function copySink(
  db: Db,
  onPiece?: () => void,
  pieceRows = COPY_PIECE_ROWS,
): Promise<CopySink> {
  const statement = `copy statement_staging (${STAGING_COLUMNS}) from %s with (format csv)`;
  if (driverOf(db) === "postgres") {
    // The pieces run on a connection of their own: postgres.js may pipeline another query onto a busy
    // pooled connection, and one in COPY would refuse it (COPY_IN_PROGRESS).
    const client = rawClient(db) as PostgresSql;
    const reserved = await client.reserve();
    const [{ pid }] = await reserved.unsafe("select pg_backend_pid() as pid");
    return piecedCopy({
      // A postgres.js query runs once: each piece is a query of its own.
      openPiece: () => reserved.unsafe(statement.replace("%s", "stdin")).writable(),
      release: async (unconfirmed) => {
        if (unconfirmed) {
          // A piece the server never confirmed leaves the connection in COPY: it is ended, and given
          // back only once postgres.js has seen it close (the pool then opens a fresh one).
          await client.unsafe(`select pg_terminate_backend(${pid})`).catch(() => {});
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        } else {
          // Answered after whatever an aborted COPY left to say: the connection is quiet when it goes back.
          await reserved.unsafe("select 1").catch(() => {});
        }
        reserved.release();
      },
      onPiece,
      pieceRows,
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
  };
}

type Block = { text: string; rows: number };

const PIECE_CONFIRM_MS = 60_000;

async function confirmed(stream: Writable): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      finished(stream),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("the database did not confirm a piece of the statement in time")),
          PIECE_CONFIRM_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// PostgreSQL: the parser fills blocks of about 256 kB; a pump sends them, COPY_PIECE_ROWS rows per COPY
// statement, one statement after another (so line ids, taken by COPY from a sequence, stay in file
// order). The parser waits only when COPY_AHEAD_BYTES are queued, so parsing (this process) and COPY
// (the server) work at the same time, and memory stays bounded by that figure.
function piecedCopy({
  openPiece,
  release,
  onPiece,
  pieceRows,
}: {
  openPiece: () => Promise<Writable>;
  release: (unconfirmed: boolean) => Promise<void>;
  onPiece: (() => void) | undefined;
  pieceRows: number;
}): CopySink {
  const queue: Block[] = [];
  let queuedBytes = 0;
  let ended = false;
  let failed: unknown = null;
  let current: Writable | null = null;
  let handed = 0;
  let buffer = "";
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
      queuedBytes -= block.text.length;
      signal();
    }
    return block;
  };

  const pump = (async () => {
    let unconfirmed = false;
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
          if (!stream.write(block.text)) await once(stream, "drain");
          rows += block.rows;
          if (rows >= pieceRows) break;
          block = await nextBlock();
        }
        stream.end();
        unconfirmed = true;
        // postgres.js loses an error the server sends after the end of the data (a bad row in the last
        // megabytes): the piece would never finish. A piece not confirmed in time fails the import.
        await confirmed(stream);
        unconfirmed = false;
        current = null;
        handed += rows;
        onPiece?.();
        if (block) block = await nextBlock();
      }
    } finally {
      // A piece cut short is abandoned (CopyFail): the server rolls it back.
      if (current && !unconfirmed) (current as Writable).destroy(new Error("import aborted"));
      await release(unconfirmed);
    }
  })();
  pump.catch((error) => {
    failed ??= error;
    signal();
  });

  const push = async () => {
    if (!buffer) return;
    queue.push({ text: buffer, rows: bufferRows });
    queuedBytes += buffer.length;
    buffer = "";
    bufferRows = 0;
    signal();
    while (queuedBytes > COPY_AHEAD_BYTES && !failed) await waitForSignal();
    if (failed) throw failed;
  };
  return {
    async write(row) {
      if (failed) throw failed;
      buffer += row;
      bufferRows += 1;
      if (buffer.length >= SEND_BYTES || bufferRows >= pieceRows) await push();
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
      await pump.catch(() => {});
    },
  };
}

function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  return `"${value.replace(/"/g, '""')}"`;
}

export function stagingRow(importId: string, line: StatementLine): string {
  // Only money that moved needs matching: Completed money in, and Completed money out that reverses a receipt.
  const completed = line.status === "Completed";
  const toMatch =
    completed && (line.direction === "in" ? line.paidInKes > 0 : line.linkedTransactionId !== null);
  const party = line.otherPartyMsisdn;
  return `${[
    importId,
    line.rowNumber,
    line.receipt,
    line.status,
    line.completedAt?.toISOString() ?? null,
    line.initiatedAt?.toISOString() ?? null,
    line.direction,
    line.paidInKes,
    line.withdrawnKes,
    line.details || null,
    line.reasonType || null,
    line.otherPartyInfo || null,
    line.linkedTransactionId,
    line.accountNo,
    toMatch ? "new" : "skipped",
    JSON.stringify({ row: line.rowNumber, cells: line.raw }),
    party.plain ?? null,
    party.raw || null,
    party.kind,
    line.otherPartyName,
    line.accountNo ? normalizeBillRef(line.accountNo) : null,
  ]
    .map(csvField)
    .join(",")}\n`;
}

// Group commit for the raw callback log. Each request still waits for its own row to be committed
// before it is acknowledged; what changes is that requests arriving while an insert is in flight are
// stored together by the next one: one INSERT … RETURNING and one commit for many callbacks, instead
// of one each. Under a burst this is most of the database's and the driver's work on the
// acknowledgement path (README, "Where intake time goes"). When nothing else is waiting, a callback is
// inserted at once, alone: there is no timer and no added wait.
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import type { RawCallback } from "../../../db/schema";

/** What intake knows of a request; the rest of a raw row is filled in by the applier later. */
export type RawLogEntry = Omit<RawCallback, "id" | "attemptId" | "paymentId" | "phoneKind">;

export type RawLogWriter = {
  /** Resolves with the stored row once it is committed; rejects if it could not be stored. */
  write(entry: RawLogEntry): Promise<RawCallback>;
};

type Waiting = {
  entry: RawLogEntry;
  resolve: (row: RawCallback) => void;
  reject: (error: unknown) => void;
};

export const RAW_LOG_BATCH = { maxRows: 64, maxInFlight: 2 };

export function createRawLogWriter(db: Db, limits = RAW_LOG_BATCH): RawLogWriter {
  const waiting: Waiting[] = [];
  let inFlight = 0;

  const insertOne = async (item: Waiting) => {
    try {
      const [id] = await insertEntries(db, [item.entry]);
      item.resolve(storedRow(id, item.entry));
    } catch (error) {
      item.reject(error);
    }
  };

  const insertMany = async (items: Waiting[]) => {
    if (items.length === 1) return insertOne(items[0]);
    let ids: number[];
    try {
      ids = await insertEntries(
        db,
        items.map((item) => item.entry),
      );
    } catch (error) {
      // The database refused the statement's data (SQLSTATE class 22 or 23): nothing of the batch
      // was stored (one statement, one transaction), and one refused row must not cost the others
      // their acknowledgement, so each is stored alone and only the refused one answers with an
      // error (Daraja then sends it again). Any other failure (a lost connection…) may have come
      // after the commit: all of them answer with an error rather than be stored twice.
      if (refusedData(error)) await Promise.all(items.map(insertOne));
      else for (const item of items) item.reject(error);
      return;
    }
    items.forEach((item, i) => item.resolve(storedRow(ids[i], item.entry)));
  };

  const flush = () => {
    while (inFlight < limits.maxInFlight && waiting.length > 0) {
      const batch = waiting.splice(0, limits.maxRows);
      inFlight++;
      void insertMany(batch).finally(() => {
        inFlight--;
        flush();
      });
    }
  };

  return {
    write(entry) {
      return new Promise<RawCallback>((resolve, reject) => {
        waiting.push({ entry, resolve, reject });
        flush();
      });
    },
  };
}

function refusedData(error: unknown): boolean {
  // drizzle wraps the driver's error (postgres.js and PGlite both carry the SQLSTATE as `code`).
  const { cause } = error as { cause?: unknown };
  const code = (cause ?? error) as { code?: unknown };
  return typeof code.code === "string" && /^2[23]/.test(code.code);
}

const storedRow = (id: number, entry: RawLogEntry): RawCallback => ({
  id,
  ...entry,
  attemptId: null,
  paymentId: null,
  phoneKind: null,
});

/**
 * One statement for any number of rows, with ONE parameter: the rows as a JSON array (bodies in
 * base64, as they may not be text). A multi-row insert built column by column costs more CPU to
 * build than the database spends storing it.
 */
async function insertEntries(db: Db, entries: RawLogEntry[]): Promise<number[]> {
  const rows = entries.map((e) => ({
    kind: e.kind,
    received_at: e.receivedAt.toISOString(),
    source_ip: e.sourceIp,
    source_trusted: e.sourceTrusted,
    headers: e.headers,
    body: Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength).toString("base64"),
    size_bytes: e.sizeBytes,
    token_valid: e.tokenValid,
    outcome: e.outcome,
    outcome_detail: e.outcomeDetail,
    processed_at: e.processedAt?.toISOString() ?? null,
    checkout_request_id: e.checkoutRequestId,
    merchant_request_id: e.merchantRequestId,
    receipt: e.receipt,
    conversation_id: e.conversationId,
  }));
  // Inserted in the array's order (ORDER BY its ordinality), so the sequence gives them rising ids
  // in that order, whatever other sessions take from it meanwhile: sorted, the ids match the array.
  const result = await db.execute(sql`insert into raw_callbacks (kind, received_at, source_ip,
      source_trusted, headers, body, size_bytes, token_valid, outcome, outcome_detail, processed_at,
      checkout_request_id, merchant_request_id, receipt, conversation_id)
    select kind, received_at, source_ip, source_trusted, headers, decode(body, 'base64'),
      size_bytes, token_valid, outcome, outcome_detail, processed_at, checkout_request_id,
      merchant_request_id, receipt, conversation_id
    from rows from (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as (kind text,
      received_at timestamptz, source_ip text, source_trusted boolean, headers jsonb, body text,
      size_bytes integer, token_valid boolean, outcome text, outcome_detail text,
      processed_at timestamptz, checkout_request_id text, merchant_request_id text, receipt text,
      conversation_id text)) with ordinality as v(kind, received_at, source_ip, source_trusted,
      headers, body, size_bytes, token_valid, outcome, outcome_detail, processed_at,
      checkout_request_id, merchant_request_id, receipt, conversation_id, ord)
    order by v.ord
    returning id`);
  const ids = rowsOf<{ id: number | string }>(result)
    .map((r) => Number(r.id))
    .sort((a, b) => a - b);
  if (ids.length !== entries.length)
    throw new Error(`raw log: ${entries.length} rows sent, ${ids.length} stored`);
  return ids;
}

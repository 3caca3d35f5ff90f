// Streaming CSV downloads: rows are pulled page by page (keyset cursors) and written as they come,
// so a 100,000-row export never sits in memory. csv-stringify does the quoting; `csvCell` defuses
// formulas, since notes, descriptions and anonymous callers' callback bodies all reach these files.
import { stringify } from "csv-stringify/sync";
import { eatDay, eatParts } from "./time";

const pad = (n: number) => String(n).padStart(2, "0");

/** A cell's time: `2025-03-14 10:15:39 +03:00` (EAT with the offset written out). */
export function eatTimestamp(iso: string | null): string {
  if (!iso) return "";
  const at = new Date(iso);
  const p = eatParts(at);
  return `${eatDay(at)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)} +03:00`;
}

export type CsvColumn<T> = {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
};

// A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"); a
// leading apostrophe makes it text. Negative amounts are numbers, not strings, so they pass as they are.
const FORMULA_START = /^[=+\-@\t\r]/;
// Excel set to a `;` list separator splits an unquoted-looking cell at each `;` (quotes that do not
// open the line's field do not protect it), so a formula after one is defused the same way.
const FORMULA_AFTER_SEPARATOR = /([;\t])(?=[=+\-@])/g;

export function csvCell(value: string | number | boolean | null | undefined): string | number {
  if (value == null) return "";
  if (typeof value === "number") return value;
  const text = String(value).replace(FORMULA_AFTER_SEPARATOR, "$1'");
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Pages through a cursor-paginated list function until it runs out. */
export async function* allPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ rows: T[]; nextCursor: string | null }>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.rows;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

export function csvResponse<T>(
  fileName: string,
  columns: CsvColumn<T>[],
  rows: AsyncIterable<T>,
): Response {
  // Each line is stringified on its own (csv-stringify's sync API: no stream to feed, end or leak),
  // and the header is always the first: `header: true` on a stream writes it only with the first
  // row, so an export matching nothing came out as a 0-byte file with no columns.
  const iterator = rows[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  const line = (cells: (string | number)[]) => encoder.encode(stringify([cells]));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(line(columns.map((c) => c.header)));
    },
    async pull(controller) {
      // One row per pull keeps memory flat; the stream's backpressure sets the pace.
      const next = await iterator.next();
      if (next.done) {
        controller.close();
        return;
      }
      controller.enqueue(line(columns.map((c) => csvCell(c.value(next.value)))));
    },
    async cancel() {
      await iterator.return?.(undefined);
    },
  });
  return new Response(stream, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
      "Cache-Control": "no-store",
    },
  });
}

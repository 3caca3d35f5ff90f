// The statement's CSV as the parser reads it (statement-parse.server.ts, csv-records.server.ts): whatever a cell holds
// (quotes, commas, line breaks of any kind, non-ASCII text) and wherever the upload's chunks split the
// bytes (inside a quoted cell, a CRLF or a multi-byte character), every cell arrives as it was written.
import { stringify } from "csv-stringify/sync";
import fc from "fast-check";
import { readStatement, StatementFormatError, type StatementLine } from "./statement-parse.server";

const HEADER = [
  "Receipt No.",
  "Completion Time",
  "Details",
  "Transaction Status",
  "Paid In",
  "Withdrawn",
];

const cellText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', ",", "\r", "\n", "\r\n", "\t", "\\", " ", "é", "€", "😀", "\uFEFF"),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

async function readAll(chunks: Iterable<Uint8Array | string>) {
  const lines: StatementLine[] = [];
  let columns: string[] = [];
  for await (const event of readStatement(chunks)) {
    if (event.type === "meta") columns = event.meta.columns;
    else lines.push(event.line);
  }
  return { columns, lines };
}

/** The bytes cut at the given offsets, as an upload's chunks may be. */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const at = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    if (to > from) pieces.push(bytes.subarray(from, to));
    from = Math.max(from, to);
  }
  return pieces;
}

it("reads back every cell as written, however the file's bytes are cut into chunks", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(cellText, { minLength: 1, maxLength: 8 }),
      fc.constantFrom("\r\n", "\n"),
      fc.array(fc.nat(), { maxLength: 12 }),
      async (details, eol, offsets) => {
        const rows = details.map((detail, i) => [
          `TCE4XK${String(i).padStart(4, "0")}`,
          "14-03-2025 10:15:39",
          detail,
          "Completed",
          "1,250.00",
          "",
        ]);
        const text = stringify([HEADER, ...rows], {
          record_delimiter: eol === "\n" ? "unix" : "windows",
        });
        const { columns, lines } = await readAll(cut(new TextEncoder().encode(text), offsets));
        expect(columns).toEqual(HEADER);
        expect(lines.map((l) => l.cells)).toEqual(rows);
        expect(lines.map((l) => l.rowNumber)).toEqual(rows.map((_, i) => i + 2));
        expect(lines.every((l) => l.paidInKes === 1250)).toBe(true);
      },
    ),
    { numRuns: 200 },
  );
});

it("strips a byte-order mark before the first row and reads a file without a final line break", async () => {
  const text = `\uFEFF${HEADER.join(",")}\r\nTCE4XK2P7Q,14-03-2025 10:15:39,"Pay, ""Bill""",Completed,10.00,`;
  const { columns, lines } = await readAll([text]);
  expect(columns[0]).toBe("Receipt No.");
  expect(lines).toHaveLength(1);
  expect(lines[0]!.details).toBe('Pay, "Bill"');
});

it("refuses a quote never closed, and keeps a stray quote after a closing one as text", async () => {
  const open = `${HEADER.join(",")}\r\nTCE4XK2P7Q,14-03-2025 10:15:39,"Pay Bill,Completed,10.00,\r\n`;
  const refused = await readAll([open]).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(StatementFormatError);
  expect(String(refused)).toMatch(/not valid CSV: Quote Not Closed/);

  const stray = `${HEADER.join(",")}\r\nTCE4XK2P7Q,14-03-2025 10:15:39,"Pay" Bill,Completed,10.00,\r\n`;
  const { lines } = await readAll([stray]);
  expect(lines[0]!.details).toBe('"Pay" Bill');
});

it("reads a stray quote far into a file the same, in one chunk or in many, every line kept", async () => {
  const row = (i: number, details: string) =>
    `TCE4X${String(i).padStart(5, "0")},14-03-2025 10:15:39,${details},Completed,10.00,`;
  const rows = Array.from({ length: 1_200 }, (_, i) => row(i, `Pay Bill ${i}`));
  rows[900] = row(900, '"Pay" Bill 900'); // text after a closing quote, far past the first chunks
  rows[1_000] = row(1_000, 'Pay "Bill" 1000'); // a quote inside an unquoted cell
  const text = `${HEADER.join(",")}\r\n${rows.join("\r\n")}\r\n`;
  const bytes = new TextEncoder().encode(text);
  const whole = await readAll([text]);
  const chunked = await readAll(
    cut(
      bytes,
      Array.from({ length: 80 }, (_, i) => i * 997),
    ),
  );
  for (const { lines } of [whole, chunked]) {
    expect(lines).toHaveLength(1_200);
    expect(lines[900]!.details).toBe('"Pay" Bill 900');
    expect(lines[1_000]!.details).toBe('Pay "Bill" 1000');
    expect(lines[1_199]!.receipt).toBe("TCE4X01199");
    expect(lines.map((l) => l.rowNumber)).toEqual(rows.map((_, i) => i + 2));
  }
});

it("keeps a stray quote as text when no other quote follows for far more than a row's limit", async () => {
  const row = (i: number, details: string) =>
    `TCE4X${String(i).padStart(5, "0")},14-03-2025 10:15:39,${details},Completed,10.00,`;
  const rows = Array.from({ length: 3_000 }, (_, i) => row(i, `Pay Bill ${i}`));
  rows[100] = row(100, '"Pay" Bill'); // then about 200 KB with no quote at all
  const text = `${HEADER.join(",")}\r\n${rows.join("\r\n")}\r\n`;
  const { lines } = await readAll(cut(new TextEncoder().encode(text), [65_536, 131_072]));
  expect(lines).toHaveLength(3_000);
  expect(lines[100]!.details).toBe('"Pay" Bill');
  expect(lines[2_999]!.receipt).toBe("TCE4X02999");
});

it("reads the rest of a file after a stray quote with the file's own line break", async () => {
  // A bare CR or LF inside a Details cell (text, as the file's line break is another) in the record a
  // piece of text starts with, and a stray quote a few rows later in the same piece.
  for (const [eol, bare] of [
    ["\n", "\r"],
    ["\r\n", "\n"],
    ["\r\n", "\r"],
  ]) {
    const rows: string[] = [];
    let text = `${HEADER.join(",")}${eol}`;
    let straddling = -1;
    for (let i = 0; text.length < 200_000; i++) {
      const straddles = text.length < 65_536 && text.length + 80 > 65_536;
      if (straddles) straddling = i;
      const details = straddles
        ? `Pay Bill${bare}to 123`
        : straddling >= 0 && i === straddling + 5
          ? '"Pay" Bill 5'
          : `Pay Bill ${i}`;
      const row = `TCE4X${String(i).padStart(5, "0")},14-03-2025 10:15:39,${details},Completed,10.00,`;
      rows.push(row);
      text += `${row}${eol}`;
    }
    const { lines } = await readAll(cut(new TextEncoder().encode(text), [65_536]));
    expect(lines).toHaveLength(rows.length);
    expect(lines[straddling]!.details).toBe(`Pay Bill${bare}to 123`);
    expect(lines[straddling + 5]!.details).toBe('"Pay" Bill 5');
    expect(lines.at(-1)!.receipt).toBe(`TCE4X${String(rows.length - 1).padStart(5, "0")}`);
    expect(lines.every((l) => l.cells.length === HEADER.length)).toBe(true);
  }
});

it("takes the first line break outside quotes for the file's, as Excel writes a quoted preamble", async () => {
  const body = `${HEADER.join(",")}\r\nTCE4XK0001,14-03-2025 10:15:39,Pay Bill,Completed,"1,250.00",\r\n`;
  const { lines } = await readAll([`"Org Statement\nMarch 2025"\r\n${body}`]);
  expect(lines.map((l) => l.cells)).toEqual([
    ["TCE4XK0001", "14-03-2025 10:15:39", "Pay Bill", "Completed", "1,250.00", ""],
  ]);
});

it("names the row of the file where a quote is never closed, however far in", async () => {
  const rows = Array.from(
    { length: 3_000 },
    (_, i) => `TCE4X${String(i).padStart(5, "0")},14-03-2025 10:15:39,Pay Bill,Completed,10.00,`,
  );
  const text = `${HEADER.join(",")}\r\n${rows.join("\r\n")}\r\nTCE4X99999,14-03-2025 10:15:39,"Pay Bill,Completed,10.00,\r\n`;
  const refused = await readAll([text]).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(StatementFormatError);
  // The header is row 1, the good rows 2 to 3001.
  expect(String(refused)).toMatch(/not valid CSV: Quote Not Closed: .* in row 3002$/);
});

it("refuses a quote left open over many chunks once the unfinished row passes 64 KB", async () => {
  const head = `${HEADER.join(",")}\r\nTCE4XK2P7Q,14-03-2025 10:15:39,"`;
  let pulled = 0;
  function* endless() {
    yield head;
    for (;;) {
      pulled += 1;
      yield "x".repeat(8_192);
    }
  }
  const refused = await readAll(endless()).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(StatementFormatError);
  expect(String(refused)).toMatch(/not valid CSV: row 2 is longer than 65,536 characters/);
  // Refused as soon as the row passed the limit, not at the end of an endless file.
  expect(pulled).toBeLessThan(10);
});

// The records of a statement's CSV text, read chunk by chunk for the statement parser.
// - Papa Parse's parser reads each piece of text up to its last whole record (the rest waits for the
//   next piece). On a 200,000-line statement it took 0.3 s where csv-parse's stream took 1.6–2.0 s, a
//   third of this process's share of an import (README, "Twelfth pass").
// - A file Papa Parse finds fault with (a quote never closed, text after a closing quote) is read from
//   the last whole record on by csv-parse, with the rules the statement parser has always had: a stray
//   quote in Details is kept as text, and a fault it cannot read past is its CsvError.
// - A record is at most `maxChars` long on either path, so a quote left open cannot hold the file.
import { Readable } from "node:stream";
import { CsvError, parse } from "csv-parse";
import Papa from "papaparse";
import { StatementFormatError } from "./statement-input.server";

type Chunk = Uint8Array | string;
type LineBreak = "\r\n" | "\n" | "\r";

// The upload's chunks are a megabyte; a cell is a slice of the text it was read from, and keeps all of
// it alive. Read in pieces of this many characters, a piece is what a line still queued keeps.
const TEXT_PIECE = 64 * 1024;

export async function* csvRecords(
  chunks: AsyncIterable<Chunk>,
  maxChars: number,
): AsyncGenerator<string[][], void, undefined> {
  const source = chunks[Symbol.asyncIterator]();
  try {
    yield* wholeRecords(source, maxChars);
  } finally {
    // A reader that stops early tears the upload down.
    await source.return?.();
  }
}

async function* wholeRecords(
  source: AsyncIterator<Chunk>,
  maxChars: number,
): AsyncGenerator<string[][], void, undefined> {
  const read = textOf(source);
  let pending = "";
  const take = async (): Promise<{ piece: string; final: boolean }> => {
    if (pending.length === 0) {
      const next = await read();
      if (next === null) return { piece: "", final: true };
      pending = next;
    }
    const piece = pending.slice(0, TEXT_PIECE);
    pending = pending.slice(TEXT_PIECE);
    return { piece, final: false };
  };
  let parser: Papa.Parser | null = null;
  // What is left of the text after the last whole record, and how many records came before it.
  let text = "";
  let records = 0;
  let newline: LineBreak = "\n";
  for (;;) {
    const { piece, final } = await take();
    text += piece;
    if (!parser) {
      const found = lineBreakOf(text, final);
      if (found) {
        newline = found;
        parser = new Papa.Parser({ delimiter: ",", newline, quoteChar: '"' });
      }
    }
    let faulty = false;
    if (parser) {
      // Up to the last line break: whatever follows a quote is then known, so a fault Papa Parse
      // reports is one (text after a closing quote makes it look for the quote's end past line
      // breaks, in the unfinished last record until another quote comes).
      const at = text.lastIndexOf(newline);
      const end = final ? text.length : at < 0 ? 0 : at + newline.length;
      const result = parser.parse(text.slice(0, end), 0, !final) as Papa.ParseResult<string[]>;
      faulty = result.errors.length > 0;
      if (!faulty) {
        for (const record of result.data) {
          records += 1;
          let length = record.length;
          for (const cell of record) length += cell.length;
          if (length > maxChars) throw tooLong(records, maxChars);
        }
        text = final ? "" : text.slice(result.meta.cursor);
        if (result.data.length > 0) yield result.data;
      }
    }
    if (faulty) {
      yield* relaxed(text + pending, read, {
        newline,
        maxChars,
        recordsBefore: records,
      });
      return;
    }
    if (text.length > maxChars) throw tooLong(records + 1, maxChars);
    if (final) return;
  }
}

/**
 * The source's text, chunk by chunk, for both parsers: UTF-8 decoded across chunk boundaries, a
 * byte-order mark dropped (as csv-parse's `bom` did); null once the source is done.
 */
function textOf(source: AsyncIterator<Chunk>): () => Promise<string | null> {
  const decoder = new TextDecoder();
  let [first, done] = [true, false];
  return async () => {
    if (done) return null;
    const next = await source.next();
    if (next.done === true) {
      done = true;
      return decoder.decode();
    }
    let text =
      typeof next.value === "string" ? next.value : decoder.decode(next.value, { stream: true });
    if (first && typeof next.value === "string" && text.charCodeAt(0) === 0xfeff)
      text = text.slice(1);
    if (text.length > 0) first = false;
    return text;
  };
}

const tooLong = (row: number, maxChars: number) =>
  new StatementFormatError(
    `The file is not valid CSV: row ${row} is longer than ${maxChars.toLocaleString("en-KE")} characters (is a quote left open?)`,
  );

// The first line break outside quotes decides how every record ends, as csv-parse decided it (a
// second export pasted below with other line breaks reads as it did: the breaks are text). None yet,
// or a quote or carriage return last: wait for more text.
function lineBreakOf(text: string, final: boolean): LineBreak | null {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const last = i + 1 === text.length;
    if (quoted) {
      if (c !== 0x22) continue;
      if (last && !final) return null;
      if (text.charCodeAt(i + 1) === 0x22) i += 1;
      else quoted = false;
    } else if (c === 0x22 && (i === 0 || text.charCodeAt(i - 1) === 0x2c)) quoted = true;
    else if (c === 0x0a) return "\n";
    else if (c === 0x0d) {
      if (last) return final ? "\r" : null;
      return text.charCodeAt(i + 1) === 0x0a ? "\r\n" : "\r";
    }
  }
  return final ? "\n" : null;
}

// The rest of the file, from the last whole record before a fault Papa Parse found, read as csv-parse
// reads it, records ending with the file's line break (csv-parse would take its own from the first
// record it is given). Its faults name the row of the file (csv-parse's line numbers would count from
// where it started).
async function* relaxed(
  rest: string,
  read: () => Promise<string | null>,
  {
    newline,
    maxChars,
    recordsBefore,
  }: { newline: LineBreak; maxChars: number; recordsBefore: number },
): AsyncGenerator<string[][], void, undefined> {
  async function* text() {
    yield rest;
    for (let next = await read(); next !== null; next = await read()) yield next;
  }
  const parser = parse({
    record_delimiter: newline,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: maxChars,
  });
  const input = Readable.from(text());
  input.pipe(parser);
  input.on("error", (error) => parser.destroy(error));
  try {
    for await (const record of parser as AsyncIterable<string[]>) yield [record];
  } catch (error) {
    if (error instanceof CsvError)
      error.message = error.message.replace(
        / at line \d+$/,
        ` in row ${recordsBefore + Number(error.records ?? 0) + 1}`,
      );
    throw error;
  } finally {
    input.destroy();
    parser.destroy();
  }
}

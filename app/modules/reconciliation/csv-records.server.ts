// The records of a statement's CSV text, read chunk by chunk for the statement parser.
// - Papa Parse's parser reads each chunk up to its last whole record (the rest waits for the next
//   chunk). On a 200,000-line statement it took 0.3 s where csv-parse's stream took 1.6–2.0 s, most
//   of this process's share of an import (decision in the README's twelfth pass).
// - A file Papa Parse finds fault with (a quote never closed, text after a closing quote) is read from
//   that record on by csv-parse with the rules the statement parser has always had: a stray quote in
//   Details is kept as text, and a fault it cannot read past is its CsvError.
// - A record is at most `maxChars` long on either path, so a quote left open cannot hold the file.
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import Papa from "papaparse";
import { StatementFormatError } from "./statement-input.server";

type Chunk = Uint8Array | string;

const TEXT_PIECE = 64 * 1024;

export async function* csvRecords(
  chunks: AsyncIterable<Chunk>,
  maxChars: number,
): AsyncGenerator<string[][], void, undefined> {
  const source = chunks[Symbol.asyncIterator]();
  // Decodes UTF-8 across chunk boundaries and drops a byte-order mark, as csv-parse's `bom` did.
  const decoder = new TextDecoder();
  try {
    yield* wholeRecords(source, decoder, maxChars);
  } finally {
    // A reader that stops early tears the upload down.
    await source.return?.();
  }
}

async function* wholeRecords(
  source: AsyncIterator<Chunk>,
  decoder: TextDecoder,
  maxChars: number,
): AsyncGenerator<string[][], void, undefined> {
  const decode = (chunk: Chunk) =>
    typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  let parser: Papa.Parser | null = null;
  // What is left of the text after the last whole record read.
  let text = "";
  let count = 0;
  let started = false;
  const tooLong = (record: number) =>
    new StatementFormatError(
      `The file is not valid CSV: row ${record} is longer than ${maxChars.toLocaleString("en-KE")} characters (is a quote left open?)`,
    );
  // The upload's chunks are a megabyte; a cell is a slice of the text it was read from, which it keeps
  // alive. Read in pieces of TEXT_PIECE characters, a piece is what a line still queued for the
  // database keeps.
  let pending = "";
  const take = async (): Promise<{ piece: string; final: boolean }> => {
    if (pending.length === 0) {
      const next = await source.next();
      if (next.done === true) return { piece: decoder.decode(), final: true };
      pending = decode(next.value);
    }
    const piece = pending.slice(0, TEXT_PIECE);
    pending = pending.slice(TEXT_PIECE);
    return { piece, final: false };
  };
  for (;;) {
    const { piece, final } = await take();
    text += piece;
    if (!started && text.length > 0) {
      started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    parser ??= readerFor(text, final);
    if (parser) {
      const result = parser.parse(text, 0, !final) as Papa.ParseResult<string[]>;
      // An error in the unfinished last record may go once the rest of it arrives.
      const faulty = result.errors.some((e) => final || (e.row ?? 0) < result.data.length);
      if (faulty) {
        yield* relaxed(text + pending, source, decoder, maxChars, final);
        return;
      }
      for (const record of result.data) {
        count += 1;
        let length = record.length;
        for (const cell of record) length += cell.length;
        if (length > maxChars) throw tooLong(count);
      }
      text = final ? "" : text.slice(result.meta.cursor);
      if (result.data.length > 0) yield result.data;
    }
    if (text.length > maxChars) throw tooLong(count + 1);
    if (final) return;
  }
}

// The first line break decides how every record ends (a second export pasted below with other line
// breaks reads as csv-parse read it: the breaks are text). None yet: wait for more text.
function readerFor(text: string, final: boolean): Papa.Parser | null {
  const cr = text.indexOf("\r");
  const lf = text.indexOf("\n");
  let newline: "\r\n" | "\n" | "\r" | null = null;
  if (cr >= 0 && (lf < 0 || cr < lf)) {
    if (text[cr + 1] === "\n") newline = "\r\n";
    else if (cr + 1 < text.length || final) newline = "\r";
  } else if (lf >= 0) newline = "\n";
  else if (final) newline = "\n";
  return newline ? new Papa.Parser({ delimiter: ",", newline, quoteChar: '"' }) : null;
}

// The rest of the file, from the first record Papa Parse found fault with, read as csv-parse reads it.
async function* relaxed(
  rest: string,
  source: AsyncIterator<Chunk>,
  decoder: TextDecoder,
  maxChars: number,
  final: boolean,
): AsyncGenerator<string[][], void, undefined> {
  async function* text() {
    yield rest;
    if (final) return;
    for (;;) {
      const next = await source.next();
      if (next.done) {
        yield decoder.decode();
        return;
      }
      yield typeof next.value === "string"
        ? next.value
        : decoder.decode(next.value, { stream: true });
    }
  }
  const parser = parse({
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
  } finally {
    input.destroy();
    parser.destroy();
  }
}

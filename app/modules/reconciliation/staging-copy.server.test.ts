// The COPY sink for statement rows: a row the database refuses fails the import with the database's
// own words instead of hanging it, keeps nothing of it, and leaves every pooled connection usable.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { rowsOf, type Database } from "../../../db/client";
import { createTestDatabase, usingPostgres } from "../../../tests/support/db";
import { buildStatementCsv, generateStatementLines } from "../../../tests/support/statement-file";
import { copySink, copyTextField, stagingRow } from "./staging-copy.server";
import { readStatement, type StatementLine } from "./statement-parse.server";

let database: Database;
let lines: StatementLine[];
/** Where the Details cell sits in a line's cells (the statement's column order). */
let detailsAt: number;

beforeAll(async () => {
  database = await createTestDatabase();
  lines = [];
  const csv = buildStatementCsv({
    lines: [...generateStatementLines(3_000, 5, new Date("2025-07-01T06:00:00Z"))],
  });
  for await (const event of readStatement(csv)) {
    if (event.type === "meta") detailsAt = event.meta.columns.indexOf("Details");
    else lines.push(event.line);
  }
});
afterAll(async () => database?.close());

const stagedRows = async (importId: string) => {
  const [row] = rowsOf<{ n: number | string }>(
    await database.db.execute(
      sql`select count(*) as n from statement_staging where import_id = ${importId}`,
    ),
  );
  return Number(row.n);
};

// More queries at once than the pool has connections (20 in tests), twice: each answers.
async function expectPoolAnswers() {
  for (let round = 0; round < 2; round++) {
    const answers = await Promise.all(
      Array.from({ length: 25 }, () => database.db.execute(sql`select 1 as one`)),
    );
    expect(answers.map((a) => rowsOf<{ one: number }>(a)[0].one)).toEqual(Array(25).fill(1));
  }
}

it("hands every row over and says how many, piece by piece", async () => {
  const importId = randomUUID();
  const pieces: number[] = [];
  let handed = 0;
  const sink = await copySink(database.db, importId, () => pieces.push(1), 700);
  for (const line of lines) handed = await sink.write(stagingRow(importId, line));
  handed = await sink.end();
  expect(handed).toBe(3_000);
  expect(await stagedRows(importId)).toBe(3_000);
  // PostgreSQL: a COPY per 700 rows or more (a piece ends between blocks of up to 256 kB); PGlite
  // hands batches over without pieces.
  if (usingPostgres()) expect(pieces.length).toBeGreaterThanOrEqual(3);
  else expect(pieces).toEqual([]);
  await database.db.execute(sql`delete from statement_staging where import_id = ${importId}`);
});

it("a row the database refuses fails the sink with its message, keeps nothing, and the pool still answers", async () => {
  const importId = randomUUID();
  const sink = await copySink(database.db, importId, undefined, 10_000);
  const run = async () => {
    // The first row names no import (not a uuid); the first block (256 kB) goes to the database.
    await sink.write(stagingRow("not-an-import", lines[0]));
    let i = 1;
    for (; i < 1_500; i++) await sink.write(stagingRow(importId, lines[i]));
    // More rows, slowly, until the database's refusal reaches the sink: its writes fail from then on.
    const deadline = Date.now() + (usingPostgres() ? 10_000 : 0);
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await sink.write(stagingRow(importId, lines[i++ % lines.length]));
    }
    await sink.end();
  };
  const error = await run().catch(async (e: unknown) => {
    await sink.abort();
    return e;
  });
  expect(String(error)).toMatch(/invalid input syntax for type uuid/);
  expect(await stagedRows(importId)).toBe(0);
  await expectPoolAnswers();
});

it("a piece the database never confirms fails the sink in time, and its connection is not reused", async () => {
  const importId = randomUUID();
  // A bad last row sent with the end of the data: postgres.js loses the refusal, so the piece never
  // finishes on its own (PGlite refuses it at once).
  const sink = await copySink(database.db, importId, undefined, 10_000, 1_000);
  for (const line of lines.slice(0, 10)) await sink.write(stagingRow(importId, line));
  await sink.write(stagingRow("not-an-import", lines[10]));
  const error = await sink.end().catch(async (e: unknown) => {
    await sink.abort();
    return e;
  });
  expect(String(error)).toMatch(
    usingPostgres()
      ? /did not confirm a piece of the statement in time|invalid input syntax for type uuid/
      : /invalid input syntax for type uuid/,
  );
  expect(await stagedRows(importId)).toBe(0);
  await expectPoolAnswers();
});

it("a parse cut short in the middle of a piece abandons it: nothing kept, and the pool still answers", async () => {
  const importId = randomUUID();
  const sink = await copySink(database.db, importId, undefined, 10_000);
  for (const line of lines.slice(0, 2_500)) await sink.write(stagingRow(importId, line));
  // As a bad row further down the file does: the parser stops and abandons what it handed over.
  await sink.abort();
  expect(await stagedRows(importId)).toBe(0);
  await expectPoolAnswers();
});

// COPY's text format gives a meaning to backslashes, tabs and line breaks: a cell holding them (or
// quotes, commas, "\\N", "\\.") must reach the database as it was in the file, and an absent value as NULL.
const awkward = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\\", "\t", "\n", "\r", '"', ",", "\\N", "\\.", "'", " "),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 30,
});

it("every cell reaches the staging table unchanged, whatever characters it holds", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ details: awkward, name: fc.option(awkward), cell: awkward }), {
        minLength: 1,
        maxLength: 20,
      }),
      async (cells) => {
        const importId = randomUUID();
        const sink = await copySink(database.db, importId);
        const sent = cells.map(({ details, name, cell }, i) => ({
          ...lines[i],
          details,
          otherPartyName: name,
          cells: lines[i].cells.map((c, at) => (at === detailsAt ? cell : c)),
        }));
        for (const line of sent) await sink.write(stagingRow(importId, line));
        await sink.end();
        const back = rowsOf<{ details: string | null; party_name: string | null; cell: string }>(
          await database.db
            .execute(sql`select details, party_name, raw -> 'cells' ->> ${detailsAt}::int as cell
            from statement_staging where import_id = ${importId} order by line_id`),
        );
        await database.db.execute(sql`delete from statement_staging where import_id = ${importId}`);
        expect(back).toEqual(
          sent.map((line) => ({
            details: line.details || null,
            party_name: line.otherPartyName,
            cell: line.cells[detailsAt],
          })),
        );
      },
    ),
    { numRuns: 25 },
  );
});

it("writes NULL as \\N and escapes only what the text format gives a meaning to", () => {
  expect(copyTextField(null)).toBe("\\N");
  expect(copyTextField(1250)).toBe("1250");
  expect(copyTextField("\\N")).toBe("\\\\N");
  expect(copyTextField("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
  expect(copyTextField('say "hi", ok')).toBe('say "hi", ok');
});

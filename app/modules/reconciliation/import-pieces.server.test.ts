// On PostgreSQL a statement is copied into staging in pieces, and the store step's transaction moves
// each committed piece into statement_lines while the next one is parsed. These tests cut a small file
// into pieces of a few rows (in production a piece is 20,000) and check what a finance user would
// see: every line once, the first row of a repeated receipt kept wherever the repeat falls, lines an
// earlier import holds counted as known, owned receipts matched, lines in file order, and a bad row
// in a later piece leaving nothing behind. On PGlite the same file is one piece and
// the same answers hold.
import { Readable } from "node:stream";
import { and, asc, count, eq, sql } from "drizzle-orm";
import { rowsOf } from "../../../db/client";
import { exceptions, statementImports, statementLines } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { freshReceipt, lineFor, paidPayment } from "../../../tests/support/reconciliation";
import {
  buildStatementCsv,
  type StatementFixtureLine,
} from "../../../tests/support/statement-file";
import type { Actor } from "../auth/staff-audit.server";
import { importStatement } from "./import.server";
import { driverOf } from "./staging-copy.server";
import { StatementFormatError } from "./statement-parse.server";

let app: TestApp;
let finance: Actor & { kind: "user" };
let support: Actor;

beforeAll(async () => {
  app = await startTestApp();
  finance = actorFor(await makeUser(app.ctx, "finance"));
  support = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

const PIECE = 7;
// 02-05-2025 09:00:00 EAT, apart from the payments the tests make (their receipts carry today's time).
const AT = new Date("2025-05-02T06:00:00Z");
const at = (n: number) => new Date(AT.getTime() + n * 60_000);
const unknownLine = (n: number, receipt = freshReceipt()): StatementFixtureLine => ({
  receipt,
  completedAt: at(n),
  amountKes: 100 + n,
  accountNo: `ROW-${n}`,
});

let steps: Map<string, number>;
const importCsv = (fileName: string, lines: StatementFixtureLine[]) => {
  steps = new Map();
  return importStatement(app.ctx, {
    fileName,
    input: Readable.from([buildStatementCsv({ lines })]),
    actor: finance,
    pieceRows: PIECE,
    trace: (step, ms) => steps.set(step, ms),
  });
};

const linesOf = async (importId: string) =>
  app.ctx.db
    .select({
      id: statementLines.id,
      receipt: statementLines.receipt,
      accountNo: statementLines.accountNo,
      matchState: statementLines.matchState,
      paymentId: statementLines.paymentId,
      row: sql<number>`(${statementLines.raw} ->> 'row')::int`,
    })
    .from(statementLines)
    .where(eq(statementLines.importId, importId))
    .orderBy(asc(statementLines.id));

describe("a statement stored piece by piece", () => {
  it("keeps every line once, in file order: first rows of repeats, earlier imports' lines known, owned receipts matched", async () => {
    // An earlier import holds some receipts the new file repeats.
    const earlier = Array.from({ length: 5 }, (_, i) => unknownLine(i));
    await importCsv("april.csv", earlier);

    // Paid payments whose receipts the new file shows, in different pieces.
    const payments = [];
    for (let i = 0; i < 3; i++) payments.push(await paidPayment(app, support, { amount: 300 + i }));

    const lines: StatementFixtureLine[] = Array.from({ length: 40 }, (_, i) =>
      unknownLine(100 + i),
    );
    const repeatInPiece = lines[2].receipt; // again two rows later, in the same piece
    lines[4] = { ...unknownLine(104, repeatInPiece), accountNo: "REPEAT-SAME-PIECE" };
    const repeatAcross = lines[5].receipt; // again four pieces later
    lines[33] = { ...unknownLine(133, repeatAcross), accountNo: "REPEAT-LATER-PIECE" };
    lines[8] = earlier[1]; // known, second piece
    lines[22] = earlier[3]; // known, fourth piece
    lines[1] = lineFor(payments[0]); // owned, first piece
    lines[17] = lineFor(payments[1]);
    lines[39] = lineFor(payments[2]); // owned, the last piece (a short one)

    const result = await importCsv("may.csv", lines);

    expect(result.summary).toMatchObject({ lines: 40, newLines: 36, knownLines: 4 });
    const count = (pattern: RegExp) =>
      Number([...steps.keys()].map((step) => pattern.exec(step)?.[1]).find(Boolean) ?? 0);
    // On PostgreSQL the file went in pieces of 7 rows, moved as they came (how many moves depends
    // on timing); PGlite copies it in one go and moves it once.
    if (driverOf(app.ctx.db) === "postgres") {
      expect(count(/^copy \(waiting on the database, (\d+) pieces\)$/)).toBe(6);
      expect(count(/^insert lines \((\d+) moves?\)$/)).toBeGreaterThanOrEqual(1);
    } else expect(count(/^insert lines \((\d+) moves?\)$/)).toBe(1);
    const stored = await linesOf(result.importId);
    // File order (the import page lists lines by id), each kept row being the first with its receipt.
    const expectedRows = [...Array(40).keys()].filter((i) => ![4, 8, 22, 33].includes(i));
    expect(stored.map((l) => l.row)).toEqual(expectedRows.map((i) => i + 8)); // header on row 7
    expect(new Set(stored.map((l) => l.receipt)).size).toBe(36);
    expect(stored.find((l) => l.receipt === repeatInPiece)?.accountNo).toBe("ROW-102");
    expect(stored.find((l) => l.receipt === repeatAcross)?.accountNo).toBe("ROW-105");
    expect(stored.filter((l) => l.matchState === "matched").map((l) => l.paymentId)).toEqual(
      payments.map((p) => p.id),
    );
    // Nothing stays behind in staging.
    const [left] = rowsOf<{ n: number | string }>(
      await app.ctx.db.execute(
        sql`select count(*) as n from statement_staging where import_id = ${result.importId}`,
      ),
    );
    expect(Number(left.n)).toBe(0);
  });

  it("pieces that meet no held receipt first, then a later piece that does: each receipt kept once, a disagreeing one a case", async () => {
    // On PostgreSQL the first pieces go in without looking receipts up (the unique key would refuse a
    // held one); the first piece it refuses is moved again leaving held receipts out, and so is every
    // piece after it. On PGlite the file is one move.
    const earlier = Array.from({ length: 4 }, (_, i) => unknownLine(300 + i));
    await importCsv("march.csv", earlier);
    const lines = Array.from({ length: 30 }, (_, i) => unknownLine(400 + i));
    lines[16] = earlier[0]; // the third piece repeats an earlier import's line exactly
    lines[18] = { ...earlier[2], amountKes: earlier[2].amountKes + 50 }; // and one with another amount
    const repeatAcross = lines[3].receipt; // the first piece's receipt again in the fourth piece
    lines[24] = { ...lines[3], accountNo: "REPEAT-LATER-PIECE" };
    lines[27] = earlier[3]; // and an earlier import's line after the first refusal

    const result = await importCsv("april-overlap.csv", lines);

    expect(result.summary).toMatchObject({ lines: 30, newLines: 26, knownLines: 4 });
    const stored = await linesOf(result.importId);
    const expectedRows = [...Array(30).keys()].filter((i) => ![16, 18, 24, 27].includes(i));
    expect(stored.map((l) => l.row)).toEqual(expectedRows.map((i) => i + 8));
    expect(stored.find((l) => l.receipt === repeatAcross)?.accountNo).toBe("ROW-403");
    const cases = await app.ctx.db
      .select({ receipt: exceptions.receipt, amount: exceptions.amountAtStakeKes })
      .from(exceptions)
      .where(
        and(eq(exceptions.type, "statement_conflict"), eq(exceptions.receipt, earlier[2].receipt)),
      );
    expect(cases).toEqual([{ receipt: earlier[2].receipt, amount: earlier[2].amountKes + 50 }]);
    // The repeat within the file differs only in its account: no case.
    const [repeatCases] = await app.ctx.db
      .select({ n: count() })
      .from(exceptions)
      .where(and(eq(exceptions.type, "statement_conflict"), eq(exceptions.receipt, repeatAcross)));
    expect(repeatCases.n).toBe(0);
  });

  it("a bad row in a later piece, after earlier pieces were copied, leaves no import, no lines, nothing staged", async () => {
    const lines = Array.from({ length: 30 }, (_, i) => unknownLine(200 + i));
    lines[26] = { ...lines[26], overrides: { "Completion Time": "30-02-2025 10:00:00" } };
    const [[importsBefore], [linesBefore]] = await Promise.all([
      app.ctx.db.select({ n: count() }).from(statementImports),
      app.ctx.db.select({ n: count() }).from(statementLines),
    ]);

    const error = await importCsv("june.csv", lines).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StatementFormatError);
    expect((error as Error).message).toMatch(/^Row 34: 'Completion Time'/);
    const [[importsAfter], [linesAfter]] = await Promise.all([
      app.ctx.db.select({ n: count() }).from(statementImports),
      app.ctx.db.select({ n: count() }).from(statementLines),
    ]);
    expect({ imports: importsAfter.n, lines: linesAfter.n }).toEqual({
      imports: importsBefore.n,
      lines: linesBefore.n,
    });
    const [staged] = rowsOf<{ n: number | string }>(
      await app.ctx.db.execute(sql`select count(*) as n from statement_staging`),
    );
    expect(Number(staged.n)).toBe(0);
  });
});

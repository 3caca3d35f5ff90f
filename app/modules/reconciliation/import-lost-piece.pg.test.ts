// On PostgreSQL the store step learns each COPY piece's rows and last line id from the COPY connection
// and moves exactly those, instead of asking staging what arrived. postgres.js can take a piece the
// server rolled back for a committed one, so every piece's last row is looked for before it is moved:
// here rows of confirmed pieces vanish from staging before their move (a trigger deletes them), and the
// import must fail as "some rows did not reach the database", with no line of it kept. Part of the
// suite only with TEST_DATABASE_URL (vitest.config.ts): PGlite stores a file as one piece.
import { Readable } from "node:stream";
import { count, eq, sql } from "drizzle-orm";
import { statementImports, statementLines } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { freshReceipt } from "../../../tests/support/reconciliation";
import { buildStatementCsv } from "../../../tests/support/statement-file";
import type { Actor } from "../auth/staff-audit.server";
import { importStatement } from "./import.server";
import { failureReason } from "./import-model.server";

let app: TestApp;
let finance: Actor & { kind: "user" };

beforeAll(async () => {
  app = await startTestApp();
  finance = actorFor(await makeUser(app.ctx, "finance"));
});
afterAll(async () => app?.close());

const AT = new Date("2025-06-03T06:00:00Z");
const linesOf = (accountNo: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    receipt: freshReceipt(),
    completedAt: new Date(AT.getTime() + i * 60_000),
    amountKes: 100 + i,
    accountNo,
  }));

const importCsv = (fileName: string, accountNo: string, n: number) =>
  importStatement(app.ctx, {
    fileName,
    input: Readable.from([buildStatementCsv({ lines: linesOf(accountNo, n) })]),
    actor: finance,
    pieceRows: 5,
  });

const importedLines = async (fileName: string) => {
  const [row] = await app.ctx.db
    .select({ n: count() })
    .from(statementLines)
    .innerJoin(statementImports, eq(statementImports.id, statementLines.importId))
    .where(eq(statementImports.fileName, fileName));
  return row.n;
};

it("a confirmed piece missing from staging when it is moved fails the import and keeps none of its lines", async () => {
  // After the first move, wait until the parser has copied every piece, then delete the rows staged
  // after the lines just moved: pieces COPY confirmed that the next move will not find.
  await app.ctx.db.execute(
    sql.raw(`create function lost_piece_test() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from new_lines where account_no = 'LOSE-PIECES') then
        perform pg_sleep(0.5);
        delete from statement_staging s
          where s.import_id = (select import_id from new_lines limit 1)
            and s.line_id > (select max(id) from new_lines);
      end if;
      return null;
    end $$`),
  );
  await app.ctx.db.execute(
    sql.raw(`create trigger lost_piece_test after insert on statement_lines
      referencing new table as new_lines for each statement execute function lost_piece_test()`),
  );
  try {
    const error = await importCsv("lost-pieces.csv", "LOSE-PIECES", 40).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect(failureReason(error, "ref")).toBe("some rows did not reach the database");
    expect(await importedLines("lost-pieces.csv")).toBe(0);
  } finally {
    await app.ctx.db.execute(sql.raw(`drop trigger lost_piece_test on statement_lines`));
    await app.ctx.db.execute(sql.raw(`drop function lost_piece_test`));
  }
  // The same pieces, none lost: all forty lines are stored.
  const result = await importCsv("kept-pieces.csv", "KEEP-PIECES", 40);
  expect(result.summary).toMatchObject({ lines: 40, newLines: 40 });
  expect(await importedLines("kept-pieces.csv")).toBe(40);
});

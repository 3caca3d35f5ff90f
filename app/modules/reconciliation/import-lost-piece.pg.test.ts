// On PostgreSQL the store step learns each COPY piece's rows and last line id on the COPY connection,
// once the server confirmed the piece, and the mover moves exactly those instead of counting staging
// itself. So the server's count of what it holds of each piece must be the rows sent (postgres.js can
// take a COPY that failed at its very end for one that succeeded). Test triggers on statement_staging
// play two such losses in one chosen piece: a row dropped, and the whole piece gone. The import must
// fail as "some rows did not reach the database" and keep none of its lines. Part of the suite only
// with TEST_DATABASE_URL (vitest.config.ts): PGlite stores a file as one piece, counted from staging.
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
/** Forty lines in pieces of five; the 13th (in the third piece) carries `marked` as its account. */
const importCsv = (fileName: string, marked: string) =>
  importStatement(app.ctx, {
    fileName,
    input: Readable.from([
      buildStatementCsv({
        lines: Array.from({ length: 40 }, (_, i) => ({
          receipt: freshReceipt(),
          completedAt: new Date(AT.getTime() + i * 60_000),
          amountKes: 100 + i,
          accountNo: i === 12 ? marked : `ROW-${i}`,
        })),
      }),
    ]),
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

/** Runs `body` with a test trigger on statement_staging, dropped after. */
async function withStagingTrigger(fn: string, trigger: string, body: () => Promise<void>) {
  await app.ctx.db.execute(sql.raw(fn));
  await app.ctx.db.execute(sql.raw(trigger));
  try {
    await body();
  } finally {
    await app.ctx.db.execute(sql.raw(`drop trigger lost_piece_test on statement_staging`));
    await app.ctx.db.execute(sql.raw(`drop function lost_piece_test`));
  }
}

const failsAsLostRows = async (fileName: string, marked: string) => {
  const error = await importCsv(fileName, marked).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  expect(failureReason(error, "ref")).toBe("some rows did not reach the database");
  expect(await importedLines(fileName)).toBe(0);
};

it("a piece the server took one row short of fails the import and keeps none of its lines", async () => {
  await withStagingTrigger(
    `create function lost_piece_test() returns trigger language plpgsql as $$
    begin
      return case when new.account_no = 'DROP-THIS-ROW' then null else new end;
    end $$`,
    `create trigger lost_piece_test before insert on statement_staging
      for each row execute function lost_piece_test()`,
    () => failsAsLostRows("short-piece.csv", "DROP-THIS-ROW"),
  );
});

it("a piece confirmed with none of its rows kept fails the import and keeps none of its lines", async () => {
  // The piece's rows are deleted in its own COPY statement: it commits, and is confirmed, empty.
  await withStagingTrigger(
    `create function lost_piece_test() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from copied where account_no = 'LOSE-THIS-PIECE') then
        delete from statement_staging s using copied c where s.import_id = c.import_id and s.line_id = c.line_id;
      end if;
      return null;
    end $$`,
    `create trigger lost_piece_test after insert on statement_staging
      referencing new table as copied for each statement execute function lost_piece_test()`,
    () => failsAsLostRows("lost-piece.csv", "LOSE-THIS-PIECE"),
  );
});

it("the same pieces, none lost, store all forty lines", async () => {
  const result = await importCsv("kept-pieces.csv", "KEEP-THIS-PIECE");
  expect(result.summary).toMatchObject({ lines: 40, newLines: 40 });
  expect(await importedLines("kept-pieces.csv")).toBe(40);
});

// After a big import the planner needs to know statement_lines grew, or matching's joins leave their
// indexes; a full ANALYZE of a just-filled 200,000-line table cost 0.8 s of every big import. Statistics
// are now refreshed from a small sample, and only when the import grew the table by a tenth or more.
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { freshReceipt } from "../../../tests/support/reconciliation";
import { buildStatementCsv } from "../../../tests/support/statement-file";
import { importStatement } from "./import.server";
import {
  ANALYZE_MIN_LINES,
  needsFreshStatistics,
  refreshLineStatistics,
} from "./line-statistics.server";

describe("whether an import refreshes statement_lines' statistics", () => {
  it.each([
    // [new lines, lines PostgreSQL last counted (-1: never), refresh?]
    [ANALYZE_MIN_LINES - 1, -1, false],
    [ANALYZE_MIN_LINES, -1, true],
    [ANALYZE_MIN_LINES, 0, true],
    [200_000, 0, true],
    [200_000, 2_000_000, true],
    [200_000, 2_000_001, false],
    [ANALYZE_MIN_LINES, 5_000_000, false],
  ])("%i new lines on a table counted at %i: %s", (newLines, reltuples, expected) => {
    expect(needsFreshStatistics(newLines, reltuples)).toBe(expected);
  });
});

describe("refreshing statement_lines' statistics in the import's transaction", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    const finance = actorFor(await makeUser(app.ctx, "finance"));
    const at = new Date("2025-05-02T06:00:00Z");
    await importStatement(app.ctx, {
      fileName: "may.csv",
      input: Readable.from([
        buildStatementCsv({
          lines: Array.from({ length: 6 }, (_, i) => ({
            receipt: freshReceipt(),
            completedAt: new Date(at.getTime() + i * 60_000),
            amountKes: 100 + i,
          })),
        }),
      ]),
      actor: finance,
    });
  });
  afterAll(async () => app?.close());

  const counted = async (db: Db) =>
    Number(
      rowsOf<{ n: number | string }>(
        await db.execute(
          sql`select reltuples as n from pg_class where oid = 'statement_lines'::regclass`,
        ),
      )[0]?.n,
    );
  const columnsWithStatistics = async (db: Db) =>
    Number(
      rowsOf<{ n: number | string }>(
        await db.execute(
          sql`select count(*) as n from pg_stats where tablename = 'statement_lines'`,
        ),
      )[0]?.n,
    );

  it("leaves them alone after a small import", async () => {
    const before = await counted(app.ctx.db);
    const refreshed = await app.ctx.db.transaction((tx) =>
      refreshLineStatistics(tx, ANALYZE_MIN_LINES - 1),
    );
    expect(refreshed).toBe(false);
    expect(await counted(app.ctx.db)).toBe(before);
    expect(await columnsWithStatistics(app.ctx.db)).toBe(0);
  });

  it("counts the lines after a big one, and the session's sample size is back to the default", async () => {
    const refreshed = await app.ctx.db.transaction(async (tx) => {
      const done = await refreshLineStatistics(tx, ANALYZE_MIN_LINES);
      const [target] = rowsOf<{ default_statistics_target: string }>(
        await tx.execute(sql`show default_statistics_target`),
      );
      expect(target?.default_statistics_target).toBe("100");
      return done;
    });
    expect(refreshed).toBe(true);
    expect(await counted(app.ctx.db)).toBe(6);
    expect(await columnsWithStatistics(app.ctx.db)).toBeGreaterThan(0);
  });
});

// After a big import the planner must know statement_lines grew, or matching's joins leave their
// indexes; a full ANALYZE of 200,000 just-stored lines cost half a second of every big import. The
// statistics are refreshed from a small sample, and only when the table grew by a tenth since the last
// time (PGlite has no autovacuum: this is its only refresh).
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
} from "./import-statistics.server";

describe("whether an import refreshes statement_lines' statistics", () => {
  const size = (reltuples: number, relpages: number, pages: number) => ({
    reltuples,
    relpages,
    pages,
  });
  it.each([
    ["a small import, never analysed", ANALYZE_MIN_LINES - 1, size(-1, 0, 50), false],
    ["a big import, never analysed", ANALYZE_MIN_LINES, size(-1, 0, 50), true],
    ["a big import, analysed while empty", ANALYZE_MIN_LINES, size(0, 0, 2_000), true],
    ["a table grown by a tenth", ANALYZE_MIN_LINES, size(500_000, 50_000, 55_000), true],
    ["a table grown by less", 200_000, size(5_000_000, 500_000, 549_999), false],
    // Imports each small beside the table add up: the third 50,000-line import after an ANALYZE.
    ["small imports adding up", 50_000, size(1_000_000, 100_000, 115_000), true],
  ])("%s", (_, newLines, table, expected) => {
    expect(needsFreshStatistics(newLines, table)).toBe(expected);
  });
});

describe("refreshing statement_lines' statistics in the import's transaction", () => {
  let app: TestApp;
  const LINES = 200;
  beforeAll(async () => {
    app = await startTestApp();
    // This file's own database: autovacuum (on a server that runs it) must not analyse behind the tests.
    await app.ctx.db.execute(sql`alter table statement_lines set (autovacuum_enabled = off)`);
    const finance = actorFor(await makeUser(app.ctx, "finance"));
    const at = new Date("2025-05-02T06:00:00Z");
    await importStatement(app.ctx, {
      fileName: "may.csv",
      input: Readable.from([
        buildStatementCsv({
          // Every amount different: a full sample would keep a histogram of up to 101 bounds.
          lines: Array.from({ length: LINES }, (_, i) => ({
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

  const one = async <T>(db: Db, query: ReturnType<typeof sql>) =>
    rowsOf<T>(await db.execute(query))[0];
  const counted = async (db: Db) =>
    Number(
      (
        await one<{ n: number | string }>(
          db,
          sql`select reltuples as n from pg_class where oid = 'statement_lines'::regclass`,
        )
      )?.n,
    );
  const amountBounds = async (db: Db) =>
    (
      await one<{ n: number | string | null }>(
        db,
        sql`select array_length(histogram_bounds, 1) as n from pg_stats
          where tablename = 'statement_lines' and attname = 'paid_in_kes'`,
      )
    )?.n ?? null;
  // The connection's sample size, and the one it would have with no SET in force (the server's).
  const target = async (db: Db) =>
    one<{ setting: string; reset_val: string }>(
      db,
      sql`select setting, reset_val from pg_settings where name = 'default_statistics_target'`,
    );

  it("leaves them alone after a small import", async () => {
    const refreshed = await app.ctx.db.transaction((tx) =>
      refreshLineStatistics(tx, ANALYZE_MIN_LINES - 1),
    );
    expect(refreshed).toBe(false);
    expect(await amountBounds(app.ctx.db)).toBeNull();
  });

  it("counts the lines after a big one, from a small sample, and leaves the connection's setting", async () => {
    const refreshed = await app.ctx.db.transaction((tx) =>
      refreshLineStatistics(tx, ANALYZE_MIN_LINES),
    );
    expect(refreshed).toBe(true);
    expect(await counted(app.ctx.db)).toBe(LINES);
    // 200 distinct amounts: a 3,000-row sample's target keeps at most 11 histogram bounds.
    const bounds = Number(await amountBounds(app.ctx.db));
    expect(bounds).toBeGreaterThan(1);
    expect(bounds).toBeLessThanOrEqual(11);
    // SET LOCAL ended with the transaction (the staging step's ANALYZE in the import above too).
    const after = await target(app.ctx.db);
    expect(after?.setting).toBe(after?.reset_val);
    expect(after?.setting).not.toBe("10");
  });

  it("does not analyse again until the table grows by a tenth", async () => {
    const refreshed = await app.ctx.db.transaction((tx) =>
      refreshLineStatistics(tx, ANALYZE_MIN_LINES),
    );
    expect(refreshed).toBe(false);
  });
});

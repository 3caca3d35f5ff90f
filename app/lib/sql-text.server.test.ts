// The database writes statement case summaries itself: its money and times must read exactly as
// formatKes and formatEat write them, on PGlite and on PostgreSQL.
import { sql } from "drizzle-orm";
import { rowsOf, type Database } from "../../db/client";
import { createTestDatabase } from "../../tests/support/db";
import { formatKes } from "./money";
import { eatSql, isoSql, kesSql } from "./sql-text.server";
import { formatEat } from "./time";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

it("writes amounts as formatKes does", async () => {
  const amounts = [0, 1, 9, 10, 99, 100, 999, 1_000, 1_250, 12_345, 999_999, 1_000_000, 250_000];
  amounts.push(123_456_789, 9_007_199_254_740_991, -60, -1_250);
  const rows = rowsOf<{ i: number | string; text: string }>(
    await database.db.execute(
      sql`select i, ${kesSql(sql`a`)} as text from jsonb_array_elements_text(${JSON.stringify(amounts)}::jsonb) with ordinality as x(a, i) order by i`,
    ),
  );
  expect(rows.map((r) => r.text)).toEqual(amounts.map((a) => formatKes(a)));
});

it("has room for every bigint's digits", async () => {
  const extremes = [
    9_223_372_036_854_775_807n,
    -9_223_372_036_854_775_808n,
    1_000_000_000_000_000_000n,
  ];
  const rows = rowsOf<{ text: string }>(
    await database.db.execute(
      sql`select ${kesSql(sql`a::bigint`)} as text from unnest(${`{${extremes.join(",")}}`}::text[]) with ordinality as x(a, i) order by i`,
    ),
  );
  expect(rows.map((r) => r.text)).toEqual(extremes.map((a) => formatKes(a)));
  expect(rows[0]!.text).toBe("KES 9,223,372,036,854,775,807");
});

it("writes times as formatEat does, around midnight and in every month", async () => {
  const times: Date[] = [];
  for (let m = 0; m < 12; m++)
    for (const [d, h, min, s] of [
      [1, 21, 0, 0], // 00:00:00 EAT on the 2nd
      [9, 20, 59, 59], // 23:59:59 EAT
      [28, 7, 5, 9],
      [31, 12, 15, 39], // the 31st, or the next month's first days where there is no 31st
    ])
      times.push(new Date(Date.UTC(2025, m, d, h, min, s)));
  times.push(new Date(Date.UTC(2024, 1, 28, 21, 0, 0, 999)), new Date(Date.UTC(2026, 11, 31, 21)));
  const rows = rowsOf<{ text: string; iso: string }>(
    await database.db.execute(
      sql`select ${eatSql(sql`t`)} as text, ${isoSql(sql`t`)} as iso from unnest(${`{${times.map((t) => t.toISOString()).join(",")}}`}::timestamptz[]) with ordinality as x(t, i) order by i`,
    ),
  );
  expect(rows.map((r) => r.text)).toEqual(times.map((t) => formatEat(t)));
  expect(rows.map((r) => r.iso)).toEqual(times.map((t) => t.toISOString()));
});

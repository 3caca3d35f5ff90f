// The reporting rollup under concurrency, which only a multi-connection PostgreSQL can show.
import type { Database } from "../../../db/client";
import { createTestDatabase } from "../../../tests/support/db";
import { paymentStatsHelpers } from "../../../tests/support/payment-stats";
import { foldPaymentStats } from "./stats.server";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

const { rollupAndRecount, newPayment, settle } = paymentStatsHelpers(() => database.db);

describe("the rollup under concurrency (PostgreSQL)", () => {
  it("adds up after 40 payments settle in parallel while folds run alongside", async () => {
    const at = new Date("2025-07-01T07:00:00Z");
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        newPayment(new Date(at.getTime() + (i % 3) * 60_000), 100 + i),
      ),
    );
    const outcomes = ["paid", "cancelled", "failed"] as const;
    await Promise.all([
      ...created.map((p, i) => settle(p, outcomes[i % 3], new Date(at.getTime() + 120_000))),
      ...Array.from({ length: 8 }, () => foldPaymentStats(database.db)),
    ]);
    await foldPaymentStats(database.db);
    const { rollup, recount } = await rollupAndRecount();
    expect(rollup).toEqual(recount);
    expect(rollup).toContain(
      `2025-07-01 10:00:00|paid|paid|=14/${created.filter((_, i) => i % 3 === 0).reduce((n, p) => n + p.amountKes, 0)}`,
    );
  });
});

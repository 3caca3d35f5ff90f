// The reporting rollup under concurrency, which only a multi-connection PostgreSQL can show.
import type { Database } from "../../../db/client";
import { tariffBands, tariffVersions } from "../../../db/schema";
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
    // A tariff, so the paid ones carry charges (two bands) through the same deltas.
    const [version] = await database.db
      .insert(tariffVersions)
      .values({ effectiveFrom: new Date("2025-01-01T00:00:00Z"), label: "test" })
      .returning();
    await database.db.insert(tariffBands).values([
      { versionId: version.id, txnType: "paybill", minKes: 1, maxKes: 119, chargeKes: 2 },
      { versionId: version.id, txnType: "paybill", minKes: 120, maxKes: 200, chargeKes: 5 },
    ]);
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        newPayment(new Date(at.getTime() + (i % 3) * 60_000), 100 + i),
      ),
    );
    const outcomes = ["paid", "cancelled", "failed"] as const;
    await Promise.all([
      ...created.map((p, i) =>
        settle(
          p,
          outcomes[i % 3],
          new Date(at.getTime() + 120_000),
          // Most paid ones with a receipt (priced), every fourth paid by STK Query alone (none yet).
          outcomes[i % 3] === "paid" && i % 4 !== 0
            ? `TCC${String(i).padStart(7, "0")}`
            : undefined,
        ),
      ),
      ...Array.from({ length: 8 }, () => foldPaymentStats(database.db)),
    ]);
    await foldPaymentStats(database.db);
    const { rollup, recount } = await rollupAndRecount();
    expect(rollup).toEqual(recount);
    const paid = created.filter((_, i) => i % 3 === 0);
    const withReceipt = created.filter((_, i) => i % 3 === 0 && i % 4 !== 0);
    const charges = withReceipt.reduce((n, p) => n + (p.amountKes < 120 ? 2 : 5), 0);
    expect(rollup).toContain(
      `2025-07-01 10:00:00|paid|paid|=14/${paid.reduce((n, p) => n + p.amountKes, 0)}/${charges}/${paid.length - withReceipt.length}`,
    );
  });
});

// Migrations on whichever driver the suite runs (PGlite, or PostgreSQL with TEST_DATABASE_URL), and the
// append-only guards they install.
import { sql } from "drizzle-orm";
import { createTestDatabase } from "../tests/support/db";
import { rowsOf, type Database } from "./client";
import { migrate, readMigrations } from "./migrate";
import { paymentEvents, payments, rawCallbacks, staffAudit } from "./schema";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

describe("migrations", () => {
  it("are all applied, and a second run applies nothing", async () => {
    const applied = rowsOf<{ tag: string }>(
      await database.db.execute(sql`select tag from schema_migrations order by tag`),
    ).map((r) => r.tag);
    expect(applied).toEqual(readMigrations().map((m) => m.tag));
    expect(await migrate(database.db)).toEqual([]);
  });

  it("keep the staff audit and the payment timeline append-only", async () => {
    await database.db
      .insert(staffAudit)
      .values({ actorLabel: "test", action: "x", entityType: "y" });
    await expect(database.db.update(staffAudit).set({ action: "changed" })).rejects.toThrow();
    await expect(database.db.delete(staffAudit)).rejects.toThrow();
    const [p] = await database.db
      .insert(payments)
      .values({
        orderRef: "A1",
        amountKes: 10,
        phone: "254712345678",
        description: "",
        accountReference: "A1",
        status: "pending",
      })
      .returning();
    await database.db
      .insert(paymentEvents)
      .values({ paymentId: p.id, type: "created", actorType: "system", summary: "x" });
    await expect(database.db.delete(paymentEvents)).rejects.toThrow();
  });

  it("never let a raw callback's stored bytes change, while its outcome can be written", async () => {
    const [row] = await database.db
      .insert(rawCallbacks)
      .values({
        kind: "stk",
        headers: {},
        body: new Uint8Array([1, 2, 3]),
        sizeBytes: 3,
        tokenValid: true,
      })
      .returning();
    await database.db
      .update(rawCallbacks)
      .set({ outcome: "invalid" })
      .where(sql`id = ${row.id}`);
    await expect(
      database.db
        .update(rawCallbacks)
        .set({ body: new Uint8Array([9]) })
        .where(sql`id = ${row.id}`),
    ).rejects.toThrow();
    await expect(database.db.delete(rawCallbacks)).rejects.toThrow();
  });

  it("refuse money outside M-Pesa's limits and unknown statuses at the database", async () => {
    const base = { orderRef: "B1", phone: "254712345678", description: "", accountReference: "B1" };
    await expect(
      database.db.insert(payments).values({ ...base, amountKes: 0, status: "pending" }),
    ).rejects.toThrow();
    await expect(
      database.db.insert(payments).values({ ...base, amountKes: 10, status: "settled" as never }),
    ).rejects.toThrow();
  });
});

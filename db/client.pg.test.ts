// postgres.js connections send drizzle's statements prepared (db/client.ts), in transactions and
// savepoints too, still planned per execution; DATABASE_PREPARED_STATEMENTS=false sends them unnamed.
import { sql } from "drizzle-orm";
import { testDatabaseUrl } from "../app/config.server";
import { openDatabase, rowsOf, type Db } from "./client";

const preparedHere = async (db: Db) =>
  rowsOf<{ statement: string }>(
    await db.execute(sql`select statement from pg_prepared_statements`),
  ).map((r) => r.statement.trim());

describe("prepared statements on PostgreSQL", () => {
  it("prepares drizzle's statements on the connection, inside transactions and savepoints too", async () => {
    const database = await openDatabase({ databaseUrl: testDatabaseUrl()!, poolMax: 1 });
    try {
      const { db } = database;
      for (const n of [1, 2, 3]) await db.execute(sql`select ${n}::int + 0 as outside`);
      const [inTx, inSavepoint] = await db.transaction(async (tx) => {
        const a = rowsOf<{ v: number }>(await tx.execute(sql`select ${7}::int + 0 as v`));
        const b = await tx.transaction(async (sp) =>
          rowsOf<{ v: number }>(await sp.execute(sql`select ${8}::int + 0 as v`)),
        );
        return [a[0].v, b[0].v];
      });
      expect([inTx, inSavepoint]).toEqual([7, 8]);
      const statements = await preparedHere(db);
      // Three executions of one text: one prepared statement.
      expect(statements.filter((s) => s === "select $1::int + 0 as outside")).toHaveLength(1);
      expect(statements).toContain("select $1::int + 0 as v");
      const [{ plan_cache_mode }] = rowsOf<{ plan_cache_mode: string }>(
        await db.execute(sql`show plan_cache_mode`),
      );
      expect(plan_cache_mode).toBe("force_custom_plan");
    } finally {
      await database.close();
    }
  });

  it("sends them unnamed when prepared statements are off (a pooler in transaction mode)", async () => {
    const database = await openDatabase({
      databaseUrl: testDatabaseUrl()!,
      poolMax: 1,
      preparedStatements: false,
    });
    try {
      await database.db.execute(sql`select ${1}::int + 0 as unnamed`);
      expect(await preparedHere(database.db)).not.toContain("select $1::int + 0 as unnamed");
    } finally {
      await database.close();
    }
  });
});

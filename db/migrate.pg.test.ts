// Two instances starting together against one PostgreSQL database apply each migration once.
import postgres from "postgres";
import { testDatabaseUrl } from "../app/config.server";
import { openDatabase } from "./client";
import { migrate, readMigrations } from "./migrate";

describe("migrations on PostgreSQL", () => {
  it("run once when two instances start together", async () => {
    const admin = postgres(testDatabaseUrl()!, { max: 1, onnotice: () => {} });
    const name = `console_test_migrate_${process.pid}`;
    await admin.unsafe(`drop database if exists ${name}`);
    await admin.unsafe(`create database ${name}`);
    const url = new URL(testDatabaseUrl()!);
    url.pathname = `/${name}`;
    const [a, b] = await Promise.all([
      openDatabase({ databaseUrl: url.toString() }),
      openDatabase({ databaseUrl: url.toString() }),
    ]);
    try {
      const [first, second] = await Promise.all([migrate(a.db), migrate(b.db)]);
      expect([...first, ...second].sort()).toEqual(
        readMigrations()
          .map((m) => m.tag)
          .sort(),
      );
    } finally {
      await a.close();
      await b.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

// A fresh database per test file: an in-memory PGlite by default, or — when TEST_DATABASE_URL is set —
// a new PostgreSQL database cloned from a migrated template (made once by global-setup.ts).
import postgres from "postgres";
import { randomBytes } from "node:crypto";
import { openDatabase, type Database } from "../../db/client";
import { migrate } from "../../db/migrate";
import { testDatabaseUrl } from "../../app/config.server";
import { TEMPLATE_DATABASE } from "./template";

export function usingPostgres(): boolean {
  return !!testDatabaseUrl();
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTestDatabase(): Promise<Database> {
  const adminUrl = testDatabaseUrl();
  if (!adminUrl) {
    const database = await openDatabase({ dataDir: null });
    await migrate(database.db);
    return database;
  }
  const name = `console_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const database = await openDatabase({ databaseUrl: withDatabase(adminUrl, name), poolMax: 20 });
  return {
    ...database,
    async close() {
      await database.close();
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

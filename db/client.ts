// Opens the database: PGlite (Postgres in WASM, stored under DATA_DIR) when no DATABASE_URL is set,
// postgres.js with a pool otherwise. Both hand back one `Db` type, so no other code knows which.
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { mkdirSync } from "node:fs";
import postgres from "postgres";
import * as schema from "./schema";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type Database = {
  db: Db;
  driver: "pglite" | "postgres";
  close(): Promise<void>;
};

export type DatabaseOptions = {
  databaseUrl?: string;
  /** Directory for PGlite files; `null` keeps the database in memory (tests). */
  dataDir?: string | null;
  poolMax?: number;
  /** What PostgreSQL's pg_stat_activity calls this process's connections. */
  applicationName?: string;
};

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const client = postgres(options.databaseUrl, {
      max: options.poolMax ?? 10,
      onnotice: () => {}, // "relation already exists, skipping" notices are noise
      connection: { application_name: options.applicationName ?? "mpesa-console", TimeZone: "UTC" },
    });
    const db = drizzlePostgres({ client, schema }) as unknown as Db;
    return { db, driver: "postgres", close: () => client.end({ timeout: 5 }) };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const client = options.dataDir ? await PGlite.create(options.dataDir) : await PGlite.create();
  await client.exec("SET TIME ZONE 'UTC'");
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  return { db, driver: "pglite", close: () => client.close() };
}

/** Rows from `db.execute`, whose result shape differs between the two drivers. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** A unique key refused the write (SQLSTATE 23505), on either driver, however drizzle wrapped it. */
export function isUniqueViolation(error: unknown): boolean {
  for (
    let e = error as { code?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.code === "23505") return true;
  }
  return false;
}

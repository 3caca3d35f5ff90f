// Applies the committed drizzle-kit SQL migrations. Our own small runner (instead of drizzle's) so the
// same code serves both drivers and two instances starting together apply each migration once: the
// whole run holds a transaction-scoped advisory lock.
import { sql } from "drizzle-orm";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { rowsOf, type Db } from "./client";

// Beside this file when run from source (db/), or from the bundled build (build/index.js → db/).
const MIGRATIONS_DIR = ["./migrations/", "../db/migrations/"]
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((dir) => existsSync(`${dir}meta/_journal.json`))!;
const LOCK_KEY = 727_001; // any constant shared by every instance of this app

type Migration = { tag: string; hash: string; statements: string[] };

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const journal = JSON.parse(readFileSync(`${dir}meta/_journal.json`, "utf8")) as {
    entries: { tag: string }[];
  };
  return journal.entries.map(({ tag }) => {
    const text = readFileSync(`${dir}${tag}.sql`, "utf8");
    return {
      tag,
      hash: createHash("sha256").update(text).digest("hex"),
      statements: text
        .split("--> statement-breakpoint")
        .map((s) => s.trim())
        .filter(Boolean),
    };
  });
}

/** Returns the tags applied by this call (empty when the database was already current). */
export async function migrate(db: Db): Promise<string[]> {
  const migrations = readMigrations();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_KEY})`);
    await tx.execute(sql`create table if not exists schema_migrations (
      tag text primary key, hash text not null, applied_at timestamptz not null default now())`);
    const done = new Map(
      rowsOf<{ tag: string; hash: string }>(
        await tx.execute(sql`select tag, hash from schema_migrations`),
      ).map((r) => [r.tag, r.hash]),
    );
    const applied: string[] = [];
    for (const m of migrations) {
      const previous = done.get(m.tag);
      if (previous !== undefined) {
        if (previous !== m.hash)
          throw new Error(
            `migration ${m.tag} was edited after it was applied; add a new migration instead`,
          );
        continue;
      }
      for (const statement of m.statements) await tx.execute(sql.raw(statement));
      await tx.execute(sql`insert into schema_migrations (tag, hash) values (${m.tag}, ${m.hash})`);
      applied.push(m.tag);
    }
    return applied;
  });
}

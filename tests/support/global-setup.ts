// With TEST_DATABASE_URL, builds the migrated template database each test file clones.
import postgres from "postgres";
import { openDatabase } from "../../db/client";
import { migrate } from "../../db/migrate";
import { testDatabaseUrl } from "../../app/config.server";
import { TEMPLATE_DATABASE } from "./template";

export default async function setup() {
  const adminUrl = testDatabaseUrl();
  if (!adminUrl) return;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin`select pg_advisory_lock(727003)`;
    const [exists] = await admin`select 1 from pg_database where datname = ${TEMPLATE_DATABASE}`;
    if (!exists) {
      await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
      const url = new URL(adminUrl);
      url.pathname = `/${TEMPLATE_DATABASE}`;
      const database = await openDatabase({ databaseUrl: url.toString(), poolMax: 1 });
      await migrate(database.db);
      await database.close();
    }
  } finally {
    await admin`select pg_advisory_unlock(727003)`;
    await admin.end();
  }
}

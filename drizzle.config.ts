import { defineConfig } from "drizzle-kit";

// Only `npm run db:generate` reads this; the app applies the committed SQL itself (db/migrate.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema.ts",
  out: "./db/migrations",
});

import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";
import { testDatabaseUrl } from "./app/config.server";

// Concurrency tests (`*.pg.test.ts`) prove nothing on PGlite's single connection, so they are part of
// the suite only when it runs against PostgreSQL (TEST_DATABASE_URL), as .ci/run does.
const postgresOnly = testDatabaseUrl() ? [] : ["**/*.pg.test.ts"];

export default defineConfig({
  resolve: { alias: { "~": fileURLToPath(new URL("./app", import.meta.url)) } },
  test: {
    globals: true,
    include: [
      "app/**/*.test.{ts,tsx}",
      "simulator/**/*.test.ts",
      "db/**/*.test.ts",
      "jobs/**/*.test.ts",
      "tests/**/*.test.{ts,tsx}",
    ],
    exclude: ["tests/e2e/**", "tests/build/**", "node_modules/**", ...postgresOnly],
    setupFiles: ["tests/support/setup.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", "./tests/support/summary-reporter.ts"],
  },
});

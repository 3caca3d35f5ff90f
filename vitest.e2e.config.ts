import { defineConfig } from "vitest/config";

// Browser tests: a real server (the production build) and Debian's Chromium via playwright-core.
export default defineConfig({
  test: {
    globals: true,
    include: ["tests/e2e/**/*.e2e.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ["default", "./tests/support/summary-reporter.ts"],
  },
});

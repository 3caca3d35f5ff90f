import { defineConfig } from "vitest/config";

// The production-build suite (tests/build): the BUILT server, started the way `npm start` starts it,
// on a fresh PostgreSQL database per file, with its in-process simulator, driven over HTTP only.
// Run `npm run build` first (CI does). Files run one after another: each starts its own server.
export default defineConfig({
  test: {
    globals: true,
    include: ["tests/build/**/*.build.test.ts"],
    globalSetup: ["tests/build/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    maxConcurrency: 20,
    reporters: ["default", "./tests/support/summary-reporter.ts"],
  },
});

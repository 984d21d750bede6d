import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ once (the e2e tests run the production bundle).
    globalSetup: ["test/global-setup.ts"],
    // Each file gets its own database; files run in parallel on the 2-core machines.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

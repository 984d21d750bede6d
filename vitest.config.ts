import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each file gets its own database; files run in parallel on the 2-core machines.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

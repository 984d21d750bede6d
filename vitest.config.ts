import { defineConfig } from "vitest/config";

export default defineConfig({
  // The SDK's tests import it as a vendor would ("@huren/client"), from its sources.
  resolve: { alias: { "@huren/client": new URL("./packages/client/src/index.ts", import.meta.url).pathname } },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    // Builds dist/ once (the e2e tests run the production bundle).
    globalSetup: ["test/global-setup.ts"],
    // Each file gets its own database, so files can run side by side. vitest's default is one
    // worker fewer than the CPUs — one worker, files strictly one after another, on the 2-core
    // machines — while most of a file's time is waiting (PostgreSQL, loopback servers, Chromium).
    pool: "forks",
    maxWorkers: Number(process.env.HUREN_TEST_WORKERS ?? 2),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

/**
 * Builds dist/ once before any test file runs: the e2e tests start the production bundle
 * (`node dist/node.js`, `node dist/cli.js`) as an operator does, and test files running in
 * parallel must not rebuild it under each other.
 */
import { execFileSync } from "node:child_process";

export default function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: new URL("..", import.meta.url).pathname, stdio: ["ignore", "ignore", "inherit"] });
}

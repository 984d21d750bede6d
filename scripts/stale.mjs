// Is dist/ older than what it is built from? Compares modification times: every file under src/
// and scripts/, package.json and package-lock.json against the oldest bundle.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUTPUTS = ["dist/node.js", "dist/cli.js", "dist/migrate.js"];

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

export function isStale() {
  let built = Infinity;
  try {
    for (const out of OUTPUTS) built = Math.min(built, statSync(join(ROOT, out)).mtimeMs);
  } catch {
    return true; // not built yet
  }
  const sources = Math.max(...["src", "scripts", "package.json", "package-lock.json"].map((p) => {
    try {
      return newest(join(ROOT, p));
    } catch {
      return 0;
    }
  }));
  return sources > built;
}

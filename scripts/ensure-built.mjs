// Builds dist/ when it is missing or older than its sources. Where esbuild is not installed (a
// production install with --omit=dev), an existing build is used as it is.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isStale } from "./stale.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export async function ensureBuilt() {
  if (!isStale()) return;
  let buildNode, stop;
  try {
    ({ buildNode } = await import("./build.mjs"));
    ({ stop } = await import("esbuild"));
  } catch (err) {
    if (existsSync(`${ROOT}/dist/node.js`)) {
      process.stderr.write("huren: esbuild is not installed, running the existing dist/ although a source is newer\n");
      return; // a production install (--omit=dev): run the build that was shipped
    }
    throw new Error(`dist/ is missing and esbuild is not installed (run \`npm ci\`, then \`npm run build\`): ${err instanceof Error ? err.message : err}`);
  }
  await buildNode();
  // esbuild keeps a service child process for further builds; the gateway needs none.
  await stop();
}

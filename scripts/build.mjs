// The production build (docs/operators.md §11): the Node entry, the CLI and the migrator bundled
// with esbuild into dist/, run with plain `node` — no tsx at run time, so a signal sent to the
// process reaches the gateway itself. Dependencies stay in node_modules (`packages: "external"`):
// PGlite finds its wasm and data files next to its own modules, and postgres.js, undici and
// drizzle are loaded as installed. `--if-stale` builds only when a source is newer than the build.
import { build } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isStale } from "./stale.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export const ENTRIES = {
  "dist/node.js": "src/entry/node.ts",
  "dist/cli.js": "src/cli/main.ts",
  "dist/migrate.js": "scripts/migrate.ts",
};

export async function buildNode() {
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([out, src]) => [out.slice("dist/".length, -".js".length), src])),
    absWorkingDir: ROOT,
    outdir: "dist",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
  });
  return result.metafile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ifStale = process.argv.includes("--if-stale");
  if (!ifStale || (await isStale())) {
    const meta = await buildNode();
    if (!ifStale || process.env.HUREN_BUILD_VERBOSE) {
      const outs = Object.entries(meta.outputs).filter(([f]) => f.endsWith(".js"));
      console.log(`build ok: ${outs.map(([f, o]) => `${f} (${(o.bytes / 1024).toFixed(0)} KiB)`).join(", ")}`);
    }
  }
}

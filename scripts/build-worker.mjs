// Bundles the Workers entry the way wrangler does (workerd conditions, node:* external via
// nodejs_compat) to prove it builds without Node-only modules (PGlite, undici, fs) and with the
// WebCrypto variant of #crypto-native.
import { build } from "esbuild";

const forbidden = ["@electric-sql/pglite", "undici", "drizzle-orm/pglite"];
// `--outfile=PATH` (test/worker.workerd.test.ts bundles into a temporary folder); default dist/worker.js.
const outfile = process.argv.find((a) => a.startsWith("--outfile="))?.slice("--outfile=".length) ?? "dist/worker.js";
const result = await build({
  entryPoints: ["src/entry/worker.ts"],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser", "import"],
  mainFields: ["module", "main"],
  external: ["node:*", "cloudflare:sockets"],
  outfile,
  metafile: true,
  logLevel: "warning",
});
const inputs = Object.keys(result.metafile.inputs);
const leaked = inputs.filter((p) => forbidden.some((f) => p.includes(`node_modules/${f}/`)));
if (leaked.length) {
  console.error(`worker bundle pulls in Node-only modules:\n  ${leaked.join("\n  ")}`);
  process.exit(1);
}
// `#crypto-native` (package.json "imports") must resolve to WebCrypto under the workerd conditions.
if (!inputs.includes("src/crypto/native.web.ts") || inputs.includes("src/crypto/native.node.ts")) {
  console.error("worker bundle must use src/crypto/native.web.ts, not native.node.ts (check the #crypto-native conditions)");
  process.exit(1);
}
const bytes = Object.values(result.metafile.outputs)[0].bytes;
console.log(`worker bundle ok: ${outfile}, ${(bytes / 1024).toFixed(0)} KiB from ${inputs.length} inputs`);

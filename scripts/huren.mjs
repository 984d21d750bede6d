// `npm run huren -- …`: the CLI from the build (dist/cli.js), built first if stale, run in this process.
import { ensureBuilt } from "./ensure-built.mjs";

await ensureBuilt();
await import("../dist/cli.js");

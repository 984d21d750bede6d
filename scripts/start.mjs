// `npm start`: builds dist/ if a source is newer (or it is missing), then runs the bundled Node
// entry in this very process. npm's child is therefore the gateway itself: a SIGTERM that npm
// forwards, or one sent to this PID, reaches the gateway's own drain (src/entry/node.ts), and
// nothing is left orphaned. Cluster workers (HUREN_WORKERS) re-run this file and skip the check.
import cluster from "node:cluster";
import { ensureBuilt } from "./ensure-built.mjs";

if (cluster.isPrimary) await ensureBuilt();
await import("../dist/node.js");

/**
 * Starts the gateway as its own process, exactly as an operator would: the production build
 * (`node dist/node.js`, what `npm start` runs; rebuilt first when a source is newer) with
 * DATABASE_URL, HUREN_SECRET, HUREN_BOOTSTRAP, so its CPU and memory can be read from /proc and
 * the pid measured is the gateway's own.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { startProcess, waitReady, type Managed } from "./lib/proc.ts";

export const REPO = fileURLToPath(new URL("..", import.meta.url));

export interface GatewayOptions {
  name?: string;
  port: number;
  databaseUrl: string;
  secret: string;
  /** Private JWK (JSON) for receipts and outbound requests, so departments can be told its public key up front. */
  signingKey: string;
  gatewayId: string;
  bootstrapPath: string;
  logFile: string;
  /** Write a V8 CPU profile (.cpuprofile) into this directory when the process exits. */
  cpuProfDir?: string | undefined;
  poolMax?: number;
  env?: Record<string, string>;
}

export interface RunningGateway {
  url: string;
  proc: Managed;
}

let built = false;
/** `npm run build -- --if-stale`, once per benchmark process. */
function buildOnce() {
  if (built) return;
  execFileSync(process.execPath, [join(REPO, "scripts/build.mjs"), "--if-stale"], { cwd: REPO, stdio: "inherit" });
  built = true;
}

/**
 * @example
 * const gw = await startGateway({ port: 18787, databaseUrl, secret, signingKey, gatewayId, bootstrapPath, logFile });
 */
export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  buildOnce();
  const args = ["--enable-source-maps"];
  if (o.cpuProfDir) args.push("--cpu-prof", "--cpu-prof-dir", o.cpuProfDir);
  args.push(join(REPO, "dist/node.js"));
  const proc = startProcess(o.name ?? "gateway", process.execPath, args, {
    cwd: REPO,
    logFile: o.logFile,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: "production",
      PORT: String(o.port),
      HOST: "127.0.0.1",
      HUREN_GATEWAY_ID: o.gatewayId,
      DATABASE_URL: o.databaseUrl,
      DATABASE_POOL_MAX: String(o.poolMax ?? 10),
      HUREN_SECRET: o.secret,
      HUREN_SIGNING_KEY: o.signingKey,
      HUREN_BOOTSTRAP: o.bootstrapPath,
      HUREN_LOG: "silent",
      // The limiter runs (its cost is part of what is measured) but never refuses the load generator.
      HUREN_RATE_LIMITS: JSON.stringify({ kinds: { window: { member: { quota: 10_000_000 }, uid: { quota: 10_000_000 } } } }),
      // Diagnostics only, e.g. BENCH_GATEWAY_NODE_OPTIONS="--import /tmp/loop-delay.mjs".
      ...(process.env.BENCH_GATEWAY_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_GATEWAY_NODE_OPTIONS } : {}),
      ...o.env,
    },
  });
  const url = `http://127.0.0.1:${o.port}`;
  await waitReady(`${url}/readyz`, proc, 90_000);
  return { url, proc };
}

/**
 * Starts the gateway as its own process, exactly as an operator would (src/entry/node.ts with
 * DATABASE_URL, HUREN_SECRET, HUREN_BOOTSTRAP), so its CPU and memory can be read from /proc.
 * Node is started directly with tsx's loader (`node --import tsx`), not through the tsx CLI,
 * so the pid measured is the gateway's own.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
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

/**
 * @example
 * const gw = await startGateway({ port: 18787, databaseUrl, secret, signingKey, gatewayId, bootstrapPath, logFile });
 */
export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const args = ["--import", "tsx"];
  if (o.cpuProfDir) args.push("--cpu-prof", "--cpu-prof-dir", o.cpuProfDir);
  args.push(join(REPO, "src/entry/node.ts"));
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
      ...o.env,
    },
  });
  const url = `http://127.0.0.1:${o.port}`;
  await waitReady(`${url}/readyz`, proc, 90_000);
  return { url, proc };
}

/**
 * The demo as `npm start` builds it, on a test harness: the gateway served on 127.0.0.1 (port 0),
 * the demo members, departments and CLI key files for every role in a temporary data directory,
 * and a runner for the `huren` CLI as a child process.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { startDemo, type DemoHandle } from "../src/demo/setup.ts";
import { createHarness, GATEWAY_ID, type Harness } from "./harness.ts";

export interface DemoGateway {
  h: Harness;
  url: string;
  demo: DemoHandle;
  dir: string;
  close(): Promise<void>;
}

export async function startDemoGateway(): Promise<DemoGateway> {
  const h = await createHarness();
  const server = await new Promise<{ url: string; close(): void }>((resolve) => {
    const s = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve({ url: `http://127.0.0.1:${info.port}`, close: () => s.close() }));
  });
  const dir = await mkdtemp(join(tmpdir(), "huren-demo-"));
  const demo = await startDemo({ db: h.deps.db, secrets: h.deps.secrets, keys: h.deps.keys, gatewayId: GATEWAY_ID, gatewayUrl: server.url, dataDir: dir });
  return {
    h,
    url: server.url,
    demo,
    dir,
    async close() {
      server.close();
      await demo.close();
      await h.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The production CLI (dist/cli.js, built by test/global-setup.ts), as `node dist/cli.js …`. */
export const HUREN_CLI = [process.execPath, "dist/cli.js"] as const;

/** Runs `huren …` from the build as a child process; never rejects. */
export function huren(args: string[], stdin = ""): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(HUREN_CLI[0], [HUREN_CLI[1], ...args], { timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

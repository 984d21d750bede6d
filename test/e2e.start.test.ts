/**
 * The newcomer's path, for real: `npm start`'s entry as a child process on embedded PGlite with
 * the demo, the printed CLI command run as printed, and a restart that keeps the data.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
let dataDir: string;
let child: ChildProcess | undefined;

function start(): Promise<{ child: ChildProcess; command: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HUREN_DATA_DIR: dataDir, HUREN_LOG: "silent" };
  delete env.DATABASE_URL; // the newcomer's default: embedded PGlite
  delete env.HUREN_BOOTSTRAP;
  const proc = spawn(process.execPath, ["--import", "tsx", "src/entry/node.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${err}`)), 45_000);
    proc.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /npm run --silent huren -- (verify .+)\n/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child: proc, command: m[1]! });
      }
    });
    proc.on("exit", (code) => reject(new Error(`gateway exited with ${code}:\n${err}`)));
  });
}

async function stop(proc: ChildProcess) {
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await exited;
}

/** Splits the printed command line into argv (arguments here have no spaces). */
const argv = (command: string) => command.split(" ").filter(Boolean);

async function verifyAsPrinted(command: string) {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...argv(command), "--json"], { cwd: ROOT, timeout: 30_000 });
  return JSON.parse(stdout) as { status: number; answer: any; receipt: any };
}

afterAll(async () => {
  if (child && child.exitCode === null) await stop(child);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("npm start on a fresh data directory", () => {
  it("starts the demo, the printed command verifies and checks the receipt, and data survives a restart", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "huren-e2e-"));
    const first = await start();
    child = first.child;
    const a = await verifyAsPrinted(first.command);
    expect(a.status).toBe(200);
    expect(a.answer.results.map((r: any) => [r.type, r.status])).toEqual([
      ["subsistence-allowance.certificate", "verified"],
      ["housing.no-property-proof", "verified"],
    ]);
    expect(a.receipt.jti).toBe(a.answer.verificationId);
    // The CLI opened the subject commitment (it exits 1 otherwise); the receipt holds no salt or digest.
    expect(Object.keys(a.receipt.subject).sort()).toEqual(["commitment", "masked", "type"]);
    expect(a.answer.subjectOpening).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.receipt.ledger.index).toBe(a.answer.ledger.index);
    await stop(child);

    const second = await start();
    child = second.child;
    expect(second.command).toBe(first.command);
    const b = await verifyAsPrinted(second.command);
    expect(b.status).toBe(200);
    // Same ledger, continued: the embedded database survived the restart.
    expect(b.answer.ledger.index).toBe(a.answer.ledger.index + 1);
    await stop(child);
  }, 120_000);
});

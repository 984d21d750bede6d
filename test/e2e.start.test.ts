/**
 * The newcomer's path, for real: the production bundle (`npm start` runs `node dist/node.js`
 * after building) as a child process on embedded PGlite with the demo, the printed CLI command
 * run from the build, a restart that keeps the data, and `npm start` itself: a SIGTERM sent only
 * to npm's PID stops the gateway too (no orphan left serving).
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
const dirs: string[] = [];
const children: ChildProcess[] = [];

function gatewayEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HUREN_DATA_DIR: dataDir, HUREN_LOG: "silent" };
  delete env.DATABASE_URL; // the newcomer's default: embedded PGlite
  delete env.HUREN_BOOTSTRAP;
  return env;
}

/** Starts `command args` and resolves with the CLI command the gateway prints once it serves. */
function start(command: string, args: string[], dataDir: string): Promise<{ child: ChildProcess; command: string }> {
  const proc = spawn(command, args, { cwd: ROOT, env: gatewayEnv(dataDir), stdio: ["ignore", "pipe", "pipe"] });
  children.push(proc);
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${err}`)), 150_000);
    const onData = (d: Buffer) => {
      err += d.toString();
      const m = /npm run --silent huren -- (verify .+)\n/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child: proc, command: m[1]! });
      }
    };
    proc.stderr!.on("data", onData);
    proc.stdout!.on("data", () => {});
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
  const { stdout } = await run(process.execPath, ["dist/cli.js", ...argv(command), "--json"], { cwd: ROOT, timeout: 30_000 });
  return JSON.parse(stdout) as { status: number; answer: any; receipt: any };
}

/** Live (not zombie) descendants of `pid`, read from /proc. */
async function descendants(pid: number): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid …; comm may contain spaces, so read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") parent.set(Number(name), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) (out.push(child), walk(child));
  };
  walk(pid);
  return out;
}

async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("the production build on a fresh data directory", () => {
  it("starts the demo, the printed command verifies and checks the receipt, and data survives a restart", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "huren-e2e-"));
    dirs.push(dataDir);
    const first = await start(process.execPath, ["dist/node.js"], dataDir);
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
    await stop(first.child);

    const second = await start(process.execPath, ["dist/node.js"], dataDir);
    expect(second.command).toBe(first.command);
    const b = await verifyAsPrinted(second.command);
    expect(b.status).toBe(200);
    // Same ledger, continued: the embedded database survived the restart.
    expect(b.answer.ledger.index).toBe(a.answer.ledger.index + 1);
    await stop(second.child);
  }, 400_000);

  it("npm start: SIGTERM to npm's PID alone stops the gateway (nothing orphaned)", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "huren-e2e-npm-"));
    dirs.push(dataDir);
    const npm = await start("npm", ["start"], dataDir);
    const below = await descendants(npm.child.pid!);
    expect(below.length).toBeGreaterThan(0);
    // Only npm gets the signal, as from a process manager that knows one PID.
    process.kill(npm.child.pid!, "SIGTERM");
    await new Promise((r) => npm.child.once("exit", r));
    const deadline = Date.now() + 15_000;
    while ((await Promise.all(below.map(alive))).some(Boolean) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const left = (await Promise.all(below.map(async (pid) => ((await alive(pid)) ? pid : undefined)))).filter(Boolean);
    expect(left).toEqual([]);
  }, 200_000);
});

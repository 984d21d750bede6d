/**
 * Child processes the benchmark starts, and what Linux says about them (/proc): CPU seconds,
 * resident and peak memory. Every process started here is registered, and `stopAll` ends them —
 * on normal exit, on failure and on SIGINT/SIGTERM — so a benchmark never leaves a server behind.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, writeFileSync } from "node:fs";

export interface Managed {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

const running = new Set<Managed>();

/**
 * Starts `command args` with its output appended to `logFile`. The process is stopped by `stopAll`.
 * @example
 * const dept = startProcess("department", process.execPath, ["--import", "tsx", "bench/department.ts", cfg], { logFile });
 */
export function startProcess(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; logFile: string; cwd?: string }): Managed {
  const log = createWriteStream(options.logFile, { flags: "a" });
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const exited = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? String(code))));
  const managed: Managed = {
    name,
    pid: child.pid,
    child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(managed);
      log.end();
    },
  };
  running.add(managed);
  void exited.then(() => running.delete(managed));
  return managed;
}

/** Stops every process still running, newest first. */
export async function stopAll(): Promise<void> {
  for (const p of [...running].reverse()) await p.stop().catch(() => {});
}

let cleanupInstalled = false;
/** Stops every child on SIGINT/SIGTERM (then exits 130/143) before anything else happens. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark's processes…\n`);
      void stopAll().finally(() => process.exit(code));
    });
  }
}

/** Polls `url` until it answers 200, the process dies, or `timeoutMs` passes. */
export async function waitReady(url: string, proc: Managed, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead: string | undefined;
  void proc.exited.then((code) => (dead = code));
  while (Date.now() < deadline) {
    if (dead !== undefined) throw new Error(`${proc.name} exited (${dead}) before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name} was not ready at ${url} within ${timeoutMs} ms`);
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds a process has used so far (0 if it is gone). */
/**
 * The gateway's own processes: `pid` and, when it runs with HUREN_WORKERS > 1, its cluster
 * workers (children running src/entry/node.ts; tsx's esbuild service is a child too, not counted).
 */
export function gatewayPids(pid: number): number[] {
  const pids = [pid];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== pid) continue;
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes("src/entry/node.ts")) pids.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at state (field 3).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/** Current and peak resident set size in MiB (VmRSS, VmHWM). */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** Resets a process's peak RSS (VmHWM) to its current RSS, so a peak can be read per scenario. */
export function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    /* not permitted: the peak then covers the process's whole life */
  }
}

/** Whole-machine CPU jiffies (busy, total) from /proc/stat, to tell how saturated the box was. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

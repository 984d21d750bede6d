/**
 * HUREN_WORKERS > 1: one gateway process per core on one machine. The gateway is stateless
 * (everything shared lives in PostgreSQL), so the processes need no coordination of their own:
 * the primary prepares the database once — migrations, the bootstrap file — so the workers do
 * not race to do it, then forks the workers, which share the listening port (node:cluster hands
 * each new connection to the next worker). A worker that dies is replaced; one that keeps dying
 * right after start stops the whole gateway rather than looping.
 */
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../deps.ts";

export interface PrimaryOptions {
  workers: number;
  /** Runs before any worker starts (migrate, apply bootstrap). */
  prepare(): Promise<void>;
  /** Environment for the workers on top of this process's own. */
  workerEnv: Record<string, string>;
  logger: Logger;
  /** Printed once every worker listens. */
  onListening(address: { address: string; port: number }, workers: number): void;
}

/** A worker that exits sooner than this after starting counts as a failed start. */
const QUICK_EXIT_MS = 5_000;
const MAX_QUICK_EXITS = 5;
const STOP_GRACE_MS = 15_000;

/**
 * @example
 * await runPrimary({ workers: 4, prepare, workerEnv: { HUREN_MIGRATE: "off" }, logger, onListening });
 */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { logger } = options;
  await options.prepare();

  const started = new Map<Worker, number>();
  let listening = 0;
  let quickExits = 0;
  let stopping = false;

  const fork = () => {
    const worker = cluster.fork(options.workerEnv);
    started.set(worker, Date.now());
    worker.once("listening", (address) => {
      quickExits = 0;
      if (++listening === options.workers) options.onListening({ address: address.address ?? "127.0.0.1", port: address.port }, options.workers);
    });
  };

  cluster.on("exit", (worker, code, signal) => {
    const ranMs = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) {
      if (started.size === 0) process.exit();
      return;
    }
    logger.error({ event: "worker-exit", pid: worker.process.pid, code, signal, ranMs });
    if (ranMs < QUICK_EXIT_MS && ++quickExits >= MAX_QUICK_EXITS) {
      process.stderr.write(`huren: gateway processes keep exiting right after start (${quickExits} in a row); stopping\n`);
      stopping = true;
      for (const w of started.keys()) w.process.kill("SIGTERM");
      process.exitCode = 1;
      if (started.size === 0) process.exit();
      return;
    }
    fork();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: "shutdown", signal, workers: started.size });
    // Each worker finishes its requests in flight and closes its pools (src/entry/node.ts).
    for (const w of started.keys()) w.process.kill("SIGTERM");
    if (started.size === 0) process.exit(0);
    setTimeout(() => {
      for (const w of started.keys()) w.process.kill("SIGKILL");
      process.exit(1);
    }, STOP_GRACE_MS).unref();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  for (let i = 0; i < options.workers; i++) fork();
}

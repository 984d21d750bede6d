/**
 * A private PostgreSQL cluster for tests that stop and start the database under a running gateway:
 * created with pg_createcluster on a free port ≥ 55432, started and stopped with pg_ctlcluster,
 * dropped at the end. Never the shared cluster on 5432. Needs root and the postgresql-common tools.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { promisify } from "node:util";

const run = promisify(execFile);

/** True where this machine can make a private cluster (root, pg_createcluster, a server version). */
export function privateClustersAvailable(): boolean {
  return process.getuid?.() === 0 && existsSync("/usr/bin/pg_createcluster") && existsSync("/usr/lib/postgresql") && readdirSync("/usr/lib/postgresql").length > 0;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export interface PrivateCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  start(): Promise<void>;
  /** Fast shutdown: the server ends every session and stops listening. */
  stop(): Promise<void>;
  drop(): Promise<void>;
}

/**
 * @example
 * const pg = await createPrivateCluster(); await pg.start(); … await pg.stop(); … await pg.drop();
 */
export async function createPrivateCluster(): Promise<PrivateCluster> {
  const version = readdirSync("/usr/lib/postgresql").sort().pop()!;
  const name = `huren_t_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
  let port = 55432 + Math.floor(Math.random() * 2000);
  while (!(await portFree(port))) port++;
  await run("pg_createcluster", [
    "--quiet", "--start-conf=manual", "-p", String(port),
    // A throwaway: no durability needed, small, local only.
    "-o", "fsync=off", "-o", "synchronous_commit=off", "-o", "full_page_writes=off",
    "-o", "shared_buffers=16MB", "-o", "max_connections=40",
    version, name,
  ]);
  await writeFile(`/etc/postgresql/${version}/${name}/pg_hba.conf`, "local all all trust\nhost all all 127.0.0.1/32 trust\n");
  const ctl = (...args: string[]) => run("pg_ctlcluster", ["--skip-systemctl-redirect", version, name, ...args]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => void (await ctl("start")),
    stop: async () => void (await ctl("stop", "-m", "fast")),
    drop: async () => void (await run("pg_dropcluster", ["--stop", version, name])),
  };
}

/**
 * Brings up what a benchmark measures — the department process on its own database, and one or
 * more gateway processes on another — and measures any load run against them: CPU (as cores
 * used: CPU seconds / wall seconds) and peak RSS per process, the PostgreSQL backends serving
 * the two databases, the load generator itself, and how busy the whole machine was.
 */
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { generateSecret } from "../../src/crypto/secrets.ts";
import { REPO, startGateway, type RunningGateway } from "../gateway.ts";
import { seedDepartmentDatabase } from "../department.ts";
import type { Company, Person } from "./data.ts";
import { cpuSeconds, gatewayPids, machineCpu, memoryMiB, resetPeak, startProcess, waitReady, type Managed } from "./proc.ts";
import { createDatabase, GATEWAY_ID, HTTP_DEPARTMENTS, makeWorld, type BenchDatabase, type World } from "./world.ts";
import type { LoadResult } from "./load.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Stack {
  world: World;
  departmentUrl: string;
  department: Managed;
  gateways: RunningGateway[];
  gatewayDb: BenchDatabase;
  departmentDb: BenchDatabase;
  /** Starts one more gateway process on the same database. */
  addGateway(): Promise<RunningGateway>;
  /** Runs `load` and measures every process while it runs. */
  measure(label: string, load: () => Promise<LoadResult>): Promise<Measured>;
  close(): Promise<void>;
}

export interface Measured {
  label: string;
  at: string;
  load: LoadResult;
  /** Cores used on average during the run (1.0 = one core busy the whole time). */
  cpu: { gateways: number; department: number; postgres: number; generator: number; machineBusyPct: number };
  /** CPU milliseconds per correct answer: steadier than throughput on a shared, busy machine. */
  cpuMsPerAnswer: { gateways: number; department: number; postgres: number };
  peakRssMiB: { gateways: number[]; department: number; generator: number };
}

export interface StackOptions {
  dir: string;
  serverUrl: string;
  people: Person[];
  companies: Company[];
  cpuProfDir?: string | undefined;
  /** HUREN_WORKERS for each gateway (node:cluster processes behind one port). */
  workers?: number;
  log?: (line: string) => void;
}

/**
 * @example
 * const stack = await startStack({ dir, serverUrl, people, companies });
 * try { const m = await stack.measure("b", () => closedLoop(...)); } finally { await stack.close(); }
 */
export async function startStack(o: StackOptions): Promise<Stack> {
  const log = o.log ?? (() => {});
  const world = await makeWorld(o.dir, o.companies);
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log(`cleanup: ${err instanceof Error ? err.message : String(err)}`));
  };
  try {
    const departmentDb = await createDatabase(o.serverUrl, "huren_bench_dept");
    cleanups.push(() => departmentDb.drop());
    const t0 = performance.now();
    const rows = await seedDepartmentDatabase(departmentDb.url, HTTP_DEPARTMENTS.map((d) => d.evidenceType), o.people);
    log(`department database ${departmentDb.name}: ${rows} records in ${Math.round(performance.now() - t0)} ms`);

    const deptPort = await freePort();
    const deptConfig = join(o.dir, "department.json");
    await writeFile(deptConfig, JSON.stringify(world.department(deptPort, departmentDb.url)));
    const department = startProcess("department", process.execPath, ["--import", "tsx", join(REPO, "bench/department.ts"), deptConfig], { cwd: REPO, logFile: join(o.dir, "department.log") });
    cleanups.push(() => department.stop());
    const departmentUrl = `http://127.0.0.1:${deptPort}`;
    await waitReady(`${departmentUrl}/healthz`, department);
    await world.writeBootstrap(deptPort);

    const gatewayDb = await createDatabase(o.serverUrl, "huren_bench_gw");
    cleanups.push(() => gatewayDb.drop());
    const secret = generateSecret();
    const gateways: RunningGateway[] = [];
    const addGateway = async () => {
      const n = gateways.length + 1;
      const gw = await startGateway({
        name: `gateway-${n}`,
        port: await freePort(),
        databaseUrl: gatewayDb.url,
        secret,
        signingKey: JSON.stringify(world.gateway.privateJwk),
        gatewayId: GATEWAY_ID,
        bootstrapPath: world.bootstrapPath,
        logFile: join(o.dir, `gateway-${n}.log`),
        cpuProfDir: o.cpuProfDir,
        env: { HUREN_DATA_DIR: join(o.dir, `gateway-${n}-data`), HUREN_FIXTURE_DIR: dirname(world.fixturePath), HUREN_WORKERS: String(o.workers ?? 1) },
      });
      cleanups.push(() => gw.proc.stop());
      gateways.push(gw);
      log(`gateway ${n} ready at ${gw.url} (pid ${gatewayPids(gw.proc.pid).join(", ")})`);
      return gw;
    };
    await addGateway();

    const admin = postgres(o.serverUrl, { max: 1, onnotice: () => {} });
    cleanups.push(() => admin.end({ timeout: 5 }));
    const backendPids = async () => (await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname in (${gatewayDb.name}, ${departmentDb.name})`).map((r) => r.pid);

    const measure = async (label: string, load: () => Promise<LoadResult>): Promise<Measured> => {
      // With HUREN_WORKERS > 1 a gateway is its primary and its workers; all are counted.
      const gatewayProcs = gateways.map((g) => gatewayPids(g.proc.pid));
      const procs = [...gatewayProcs.flat(), department.pid];
      procs.forEach(resetPeak);
      resetPeak(process.pid);
      const before = new Map(procs.map((p) => [p, cpuSeconds(p)]));
      const pgBefore = new Map((await backendPids()).map((p) => [p, cpuSeconds(p)]));
      const self = process.cpuUsage();
      const machine = machineCpu();
      const started = performance.now();
      const result = await load();
      const wall = (performance.now() - started) / 1000;
      const selfUsed = process.cpuUsage(self);
      const machineAfter = machineCpu();
      const cores = (pid: number) => (cpuSeconds(pid) - (before.get(pid) ?? 0)) / wall;
      let pg = 0;
      for (const pid of await backendPids()) pg += cpuSeconds(pid) - (pgBefore.get(pid) ?? 0);
      const r2 = (v: number) => Math.round(v * 100) / 100;
      const gwCores = gatewayProcs.flat().reduce((sum, pid) => sum + cores(pid), 0);
      const perAnswer = (coresUsed: number) => r2((coresUsed * wall * 1000) / Math.max(1, result.good));
      return {
        label,
        at: new Date().toISOString(),
        load: result,
        cpu: {
          gateways: r2(gwCores),
          department: r2(cores(department.pid)),
          postgres: r2(pg / wall),
          generator: r2((selfUsed.user + selfUsed.system) / 1e6 / wall),
          machineBusyPct: Math.round((100 * (machineAfter.busy - machine.busy)) / Math.max(1, machineAfter.total - machine.total)),
        },
        cpuMsPerAnswer: { gateways: perAnswer(gwCores), department: perAnswer(cores(department.pid)), postgres: perAnswer(pg / wall) },
        peakRssMiB: {
          gateways: gatewayProcs.flat().map((pid) => Math.round(memoryMiB(pid).peak)),
          department: Math.round(memoryMiB(department.pid).peak),
          generator: Math.round(memoryMiB(process.pid).peak),
        },
      };
    };

    return { world, departmentUrl, department, gateways, gatewayDb, departmentDb, addGateway, measure, close };
  } catch (err) {
    await close();
    throw err;
  }
}

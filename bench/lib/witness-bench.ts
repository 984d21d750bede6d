/**
 * Phase W of `npm run bench:ledger` (PROTOCOL §5.2): two `huren witness` servers (in-process,
 * PGlite) next to a gateway on the bench's PostgreSQL server.
 *
 *   W1  witness round trip per checkpoint: append, tick (sign), then until both witnesses'
 *       cosignatures are verified and stored — p50/p99 over `rounds` checkpoints
 *   W2  verifications/s in-process (app.request, fixture adapter, 16 callers), `pairs` pairs of
 *       S-second runs with no witnesses and with the two witnesses, in ABBA order (none, two,
 *       two, none, …) so a drift of the machine's speed hits both sides alike; in both the
 *       scheduler signs every 2 s (with witnesses it also submits to them), so the difference
 *       is the witnesses'. Reported: the median of the pairs' ratios and their spread, and the
 *       gateway process's CPU per verification on each side. The witnesses run in this process
 *       too (a real one runs at another agency), so their own work is charged to the gateway here.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app.ts";
import { assembleDeps } from "../../src/entry/assemble.ts";
import { rateLimitSettings } from "../../src/ratelimit/settings.ts";
import { createUndiciHttpClient } from "../../src/http/undici-client.ts";
import { witnessSettings } from "../../src/ledger/witness-config.ts";
import { parseWitnessArgs, startWitness, type RunningWitness } from "../../src/witness/command.ts";
import { createHarness, GATEWAY_ID, signRequest } from "../../test/harness.ts";
import { createWorld, HOUSING, zhangSan } from "../../test/world.ts";
import { closedLoop, type Loop } from "./ledger-bench.ts";
import { takeLease, type CheckpointScheduler } from "../../src/ledger/scheduler.ts";

export interface WitnessBench {
  roundTrip: { rounds: number; p50: number; p99: number; cpuMs: number };
  verifications: { none: number[]; two: number[]; ratio: number; pairRatios: number[]; cpuMsPerVerification: { none: number; two: number } };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** Needs DATABASE_URL (the harness makes a fresh database on that server). */
export async function witnessBench(options: { seconds: number; rounds: number; pairs?: number; log: (line: string) => void }): Promise<WitnessBench> {
  const h = await createHarness();
  const world = await createWorld(h);
  const dir = await mkdtemp(join(tmpdir(), "huren-bench-witness-"));
  const witnesses: RunningWitness[] = [];
  try {
    const origin = `${GATEWAY_ID}/ledger`;
    for (const name of ["a", "b"]) {
      const args = ["--listen", "127.0.0.1:0", "--name", `${name}.bench/witness`, "--log", `${origin}=${h.deps.ledger.signer.verifierKey}`, "--data", join(dir, name)];
      witnesses.push(await startWitness(parseWitnessArgs(args)));
    }
    options.log(`witnesses ready: ${witnesses.map((w) => w.url).join(", ")}`);
    const settings = witnessSettings(
      witnesses.map((w, i) => ({ name: `w${i}`, vkey: w.vkey, url: w.url })),
      2,
    );
    const deps = await assembleDeps({
      gatewayId: GATEWAY_ID,
      database: { ...h.database, close: async () => {} },
      secret: h.secret,
      http: createUndiciHttpClient(),
      witnessHttp: createUndiciHttpClient({ connections: 2 }),
      logger: { info: () => {}, error: () => {} },
      witnesses: settings,
      // As the harness's gateway it is compared with: the benchmark measures witnesses, not the limiter.
      rateLimits: rateLimitSettings({ enabled: false }),
    });
    try {
      // W1: round trip per checkpoint (sign + both witnesses + verify + store).
      const times: number[] = [];
      let cpuUs = 0;
      for (let i = 0; i < options.rounds; i++) {
        await h.deps.ledger.writer.append({ ...benchInput(i) });
        const t = performance.now();
        const before = process.cpuUsage();
        await deps.ledger.checkpoints.tick();
        await deps.ledger.witnesses.idle();
        const used = process.cpuUsage(before);
        cpuUs += used.user + used.system;
        times.push(performance.now() - t);
      }
      if (deps.ledger.witnesses.stats().some((s) => s.failures > 0)) throw new Error(`a witness failed: ${JSON.stringify(deps.ledger.witnesses.stats())}`);
      // CPU of this process per checkpoint: signing, the gateway's witness client and both witness
      // servers (in this process here): an upper bound on what witnessing costs the gateway.
      const roundTrip = { rounds: times.length, p50: quantile(times, 0.5), p99: quantile(times, 0.99), cpuMs: cpuUs / 1000 / times.length };

      // W2: verifications/s, none vs two witnesses, alternating.
      const withWitnesses = createApp(deps);
      const plain = h.app;
      const run = async (app: typeof plain): Promise<Loop> =>
        closedLoop(16, options.seconds, async (i) => {
          const body = JSON.stringify({ matter: HOUSING, case: `WB-${i}-${Math.random()}`, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
          const token = await signRequest(world.window, "POST", "/v1/verifications", body);
          const res = await app.request("/v1/verifications", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body });
          if (res.status !== 200) throw new Error(`verification answered ${res.status}`);
          await res.arrayBuffer();
        });
      const none: number[] = [];
      const two: number[] = [];
      const cpu = { none: { ms: 0, n: 0 }, two: { ms: 0, n: 0 } };
      // Each side's scheduler runs during its own runs; the lease is handed over by expiring it.
      const during = async (side: "none" | "two") => {
        const scheduler = side === "none" ? h.deps.ledger.checkpoints : deps.ledger.checkpoints;
        scheduler.start();
        const before = process.cpuUsage();
        try {
          const loop = await run(side === "none" ? plain : withWitnesses);
          const used = process.cpuUsage(before);
          cpu[side].ms += (used.user + used.system) / 1000;
          cpu[side].n += loop.appends;
          (side === "none" ? none : two).push(loop.perSecond);
        } finally {
          await scheduler.stop();
          await deps.ledger.witnesses.idle();
          await takeLease(h.deps.db, scheduler.holder, -1000);
        }
      };
      const pairs = options.pairs ?? 6;
      for (let pair = 0; pair < pairs; pair++) {
        for (const side of pair % 2 === 0 ? (["none", "two"] as const) : (["two", "none"] as const)) await during(side);
        options.log(`  pair ${pair + 1}/${pairs}: none ${none.at(-1)!.toFixed(0)}/s, two witnesses ${two.at(-1)!.toFixed(0)}/s`);
      }
      const pairRatios = two.map((t, i) => t / none[i]!);
      return {
        roundTrip,
        verifications: { none, two, ratio: quantile(pairRatios, 0.5), pairRatios, cpuMsPerVerification: { none: cpu.none.ms / cpu.none.n, two: cpu.two.ms / cpu.two.n } },
      };
    } finally {
      await deps.close();
    }
  } finally {
    for (const w of witnesses) await w.close();
    await world.close();
    await h.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function benchInput(i: number) {
  return {
    entry: { kind: "bench", i },
    verificationId: `vf_wbench_${i}_${Date.now()}`,
    subjectRef: "sr1_bench",
    requester: "bench",
    uid: undefined,
    matter: undefined,
    caseRef: undefined,
    decision: "permitted",
    evidenceTypes: [],
    recordedAt: new Date(),
  };
}

/**
 * The gateway's witness client (PROTOCOL §5.2, C2SP tlog-witness): after each new checkpoint the
 * lease-holding process submits it to every witness — `old <size>`, the consistency proof from
 * that size, a blank line, the checkpoint — follows a 409 by proving from the size the witness
 * names, keeps the `cosignature/v1` lines that verify and stores them with their checkpoint.
 *
 * Entirely off the request path: the scheduler calls `sync()` after its tick and does not wait;
 * each witness has at most one submission in flight, a timeout, and exponential backoff after a
 * failure, so a witness that is down or slow costs verifications nothing.
 */
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../db/types.ts";
import type { HttpClient } from "../http-client.ts";
import type { Logger } from "../deps.ts";
import { ledgerCosignatures } from "../db/schema.ts";
import { checkpointAt, type StoredCheckpoint } from "./checkpoints.ts";
import { parseCosignerKey, verifyCosignature, type CosignerKey } from "./cosignature.ts";
import { proveConsistency } from "./proofs.ts";
import type { WitnessPolicy } from "./served.ts";
import type { WitnessConfig, WitnessSettings } from "./witness-config.ts";

export interface WitnessStats {
  name: string;
  url: string;
  /** Size of the newest checkpoint this witness cosigned (from the database at start), or null. */
  lastCosignedSize: number | null;
  /** When it cosigned it (the cosignature's own time), ISO 8601, or null. */
  lastCosignedAt: string | null;
  /** Seconds since then, by the injected clock, or null. */
  ageSeconds: number | null;
  /** Failed submissions in a row (0 after a success). */
  failures: number;
  lastError: string | null;
}

export interface WitnessClientOptions {
  db: Db;
  settings: WitnessSettings;
  http: HttpClient;
  logger: Logger;
  now: () => Date;
  /** Per submission. Default 5000. */
  timeoutMs?: number;
  /** First retry delay after a failure, doubling up to maxBackoffMs. Defaults 1 s and 5 min. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

interface WitnessState {
  config: WitnessConfig;
  key: CosignerKey;
  /** The size the witness last told us it holds (cosigned, or named in a 409). */
  known: number | undefined;
  cosignedSize: number | null;
  cosignedAt: Date | null;
  failures: number;
  retryAt: number;
  lastError: string | null;
  inFlight: Promise<void> | undefined;
}

const MAX_409_FOLLOWS = 2;

export class WitnessClient {
  readonly policy: WitnessPolicy;
  private readonly states: WitnessState[];
  private loaded: Promise<void> | undefined;
  private readonly syncing = new Set<Promise<void>>();
  private readonly timeoutMs: number;

  constructor(private readonly options: WitnessClientOptions) {
    this.states = options.settings.witnesses.map((config) => ({
      config,
      key: parseCosignerKey(config.vkey),
      known: undefined,
      cosignedSize: null,
      cosignedAt: null,
      failures: 0,
      retryAt: 0,
      lastError: null,
      inFlight: undefined,
    }));
    this.policy = { vkeys: options.settings.witnesses.map((w) => w.vkey), quorum: options.settings.quorum };
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  get configured(): boolean {
    return this.states.length > 0;
  }

  /** Per witness: last cosigned size and its age, failures — for /readyz and metrics. */
  stats(): WitnessStats[] {
    const now = this.options.now().getTime();
    return this.states.map((s) => ({
      name: s.config.name,
      url: s.config.url,
      lastCosignedSize: s.cosignedSize,
      lastCosignedAt: s.cosignedAt?.toISOString() ?? null,
      ageSeconds: s.cosignedAt ? Math.max(0, Math.round((now - s.cosignedAt.getTime()) / 1000)) : null,
      failures: s.failures,
      lastError: s.lastError,
    }));
  }

  /**
   * Like {@link stats}, but with what the shared database holds: every gateway process then
   * reports the same cosigned size and age, not only the one that submits (the checkpoint lease
   * holder). `failures` and `lastError` remain this process's own view. One small query.
   */
  async figures(): Promise<WitnessStats[]> {
    if (this.states.length === 0) return [];
    const rows = await this.options.db
      .select({ witness: ledgerCosignatures.witness, size: sql<string>`max(${ledgerCosignatures.size})`, at: sql<string>`max(${ledgerCosignatures.signedAt})` })
      .from(ledgerCosignatures)
      .where(inArray(ledgerCosignatures.witness, this.policy.vkeys))
      .groupBy(ledgerCosignatures.witness);
    const stored = new Map(rows.map((r) => [r.witness, { size: Number(r.size), at: new Date(r.at) }]));
    const now = this.options.now().getTime();
    const own = this.stats();
    return this.states.map((s, i) => {
      const db = stored.get(s.config.vkey);
      const size = Math.max(db?.size ?? -1, s.cosignedSize ?? -1);
      const at = Math.max(db?.at.getTime() ?? -1, s.cosignedAt?.getTime() ?? -1);
      return {
        ...own[i]!,
        lastCosignedSize: size < 0 ? null : size,
        lastCosignedAt: at < 0 ? null : new Date(at).toISOString(),
        ageSeconds: at < 0 ? null : Math.max(0, Math.round((now - at) / 1000)),
      };
    });
  }

  /**
   * Submits checkpoint `newestSize` to every witness that has not cosigned it, is not busy and
   * is not backing off. Returns at once; `idle()` waits for the submissions.
   */
  sync(newestSize: number): void {
    const run = this.syncAsync(newestSize).catch((err) => this.options.logger.error({ event: "witness-sync-failed", error: message(err) }));
    this.syncing.add(run);
    void run.finally(() => this.syncing.delete(run));
  }

  /** Resolves when no sync or submission is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.syncing.size > 0 || this.states.some((s) => s.inFlight)) {
      await Promise.all([...this.syncing, ...this.states.map((s) => s.inFlight)]);
    }
  }

  private async syncAsync(newestSize: number): Promise<void> {
    await (this.loaded ??= this.load());
    const now = this.options.now().getTime();
    const due = this.states.filter((s) => !s.inFlight && (s.cosignedSize ?? -1) < newestSize && s.retryAt <= now);
    if (due.length === 0) return;
    const cp = await checkpointAt(this.options.db, newestSize);
    if (!cp) return;
    for (const s of due) {
      s.inFlight = this.submit(s, cp).finally(() => {
        s.inFlight = undefined;
      });
    }
  }

  /** What the database remembers: each witness's newest cosignature. */
  private async load(): Promise<void> {
    const rows = await this.options.db
      .select({ witness: ledgerCosignatures.witness, size: sql<string>`max(${ledgerCosignatures.size})`, at: sql<string>`max(${ledgerCosignatures.signedAt})` })
      .from(ledgerCosignatures)
      .groupBy(ledgerCosignatures.witness);
    for (const row of rows) {
      const s = this.states.find((x) => x.config.vkey === row.witness);
      if (!s) continue;
      s.cosignedSize = Number(row.size);
      s.cosignedAt = new Date(row.at);
    }
  }

  private async submit(s: WitnessState, cp: StoredCheckpoint): Promise<void> {
    try {
      let old = s.known ?? s.cosignedSize ?? 0;
      for (let follows = 0; ; follows++) {
        if (old > cp.size) throw new Error(`the witness holds size ${old}, larger than this checkpoint's ${cp.size}: it saw a longer ledger (split view or rollback?)`);
        const proof = old > 0 && old < cp.size ? (await proveConsistency(this.options.db, old, cp.size)).hashes : [];
        const body = `old ${old}\n${proof.map((h) => `${h}\n`).join("")}\n${cp.note}`;
        const res = await this.options.http.post({
          url: `${s.config.url.replace(/\/+$/, "")}/add-checkpoint`,
          headers: { "content-type": "text/plain; charset=utf-8" },
          body,
          timeoutMs: this.timeoutMs,
          maxBodyBytes: 64 * 1024,
        });
        const text = new TextDecoder().decode(res.body);
        const type = res.headers["content-type"] ?? "";
        if (res.status === 409 && type.startsWith("text/x.tlog.size") && follows < MAX_409_FOLLOWS) {
          const named = /^(0|[1-9][0-9]*)\n?$/.exec(text);
          if (!named) throw new Error("409 with a malformed text/x.tlog.size body");
          s.known = Number(named[1]);
          if (s.known === old) throw new Error(`409 naming the old size ${old} it was sent`);
          old = s.known;
          continue;
        }
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.split("\n")[0]!.slice(0, 200)}`);
        await this.keep(s, cp, text);
        return;
      }
    } catch (err) {
      s.failures++;
      s.lastError = message(err);
      s.retryAt = this.options.now().getTime() + Math.min(this.options.maxBackoffMs ?? 300_000, (this.options.backoffMs ?? 1000) * 2 ** (s.failures - 1));
      s.known = undefined; // ask afresh next time: a 409 then tells the truth
      this.options.logger.error({ event: "witness-failed", witness: s.config.name, size: cp.size, failures: s.failures, error: s.lastError });
    }
  }

  /** Keeps the answer's lines that are this witness's valid cosignature on this checkpoint. */
  private async keep(s: WitnessState, cp: StoredCheckpoint, answer: string): Promise<void> {
    const noteText = cp.note.slice(0, cp.note.lastIndexOf("\n\n") + 1);
    for (const line of answer.split("\n")) {
      const time = await verifyCosignature(s.key, noteText, line);
      if (time === undefined) continue;
      const signedAt = new Date(time * 1000);
      await this.options.db.insert(ledgerCosignatures).values({ size: cp.size, witness: s.config.vkey, line, signedAt }).onConflictDoNothing();
      s.known = cp.size;
      s.cosignedSize = Math.max(s.cosignedSize ?? 0, cp.size);
      s.cosignedAt = signedAt;
      s.failures = 0;
      s.retryAt = 0;
      s.lastError = null;
      return;
    }
    throw new Error("the answer holds no cosignature/v1 line that verifies with the witness's key");
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

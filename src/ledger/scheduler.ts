/**
 * Checkpoints on a schedule (PROTOCOL §5): a background task signs and stores a checkpoint at
 * most every `intervalMs` while entries arrive, so that `GET /v1/ledger/checkpoint` only reads.
 *
 * With several gateway processes on one database, one of them signs at a time: it holds a lease
 * (the one `ledger_checkpointer` row, taken by a single atomic upsert) and renews it on each
 * tick; another process takes over when the holder stops renewing. Signing itself is idempotent
 * too (one row per size, deterministic Ed25519), so a lease lost mid-tick does no harm.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/types.ts";
import { ledgerCheckpointer, ledgerCheckpoints } from "../db/schema.ts";
import { publishCheckpoint, type LedgerSigner, type StoredCheckpoint } from "./checkpoints.ts";
import { ledgerSize } from "./store.ts";

/** setTimeout/clearTimeout, injectable so tests drive the schedule themselves. */
export interface Timer {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimer: Timer = {
  set(run, ms) {
    const t = setTimeout(run, ms);
    t.unref?.();
    return t;
  },
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SchedulerOptions {
  db: Db;
  signer: LedgerSigner;
  /** Default 2000 (HUREN_CHECKPOINT_INTERVAL_MS). */
  intervalMs?: number;
  /** This process's name in the lease (any string unique among the gateway's processes). */
  holder: string;
  timer?: Timer;
  /** Called after each tick this process led, with the newest stored size (witnesses sync off it). */
  afterTick?: (newestSize: number) => void;
  onError?: (err: unknown) => void;
}

export interface TickResult {
  /** False when another process holds the lease. */
  leader: boolean;
  /** The checkpoint stored by this tick, if the ledger had grown. */
  published?: StoredCheckpoint;
}

export class CheckpointScheduler {
  readonly intervalMs: number;
  private handle: unknown;
  private running: Promise<TickResult> | undefined;
  private stopped = true;
  private leader = false;
  private readonly timer: Timer;

  constructor(private readonly options: SchedulerOptions) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.timer = options.timer ?? realTimer;
  }

  /** This process's name in the lease. */
  get holder(): string {
    return this.options.holder;
  }

  /** Whether this process held the lease at its last tick (it then also talks to witnesses). */
  get isLeader(): boolean {
    return this.leader;
  }

  /** Ticks now, then every intervalMs (measured from the end of the previous tick). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops scheduling and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.handle !== undefined) this.timer.clear(this.handle);
    this.handle = undefined;
    await this.running?.catch(() => {});
  }

  /**
   * One round: take or renew the lease; if held and the ledger grew since the newest stored
   * checkpoint (or there is none yet), sign and store one. Concurrent calls share the round.
   */
  tick(): Promise<TickResult> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.handle = this.timer.set(() => {
      this.handle = undefined;
      void this.tick()
        .catch((err) => this.options.onError?.(err))
        .finally(() => this.schedule(this.intervalMs));
    }, ms);
  }

  private async round(): Promise<TickResult> {
    const { db, signer } = this.options;
    this.leader = await takeLease(db, this.options.holder, leaseMs(this.intervalMs));
    if (!this.leader) return { leader: false };
    const [size, newest] = await Promise.all([ledgerSize(db), newestCheckpointSize(db)]);
    if (newest !== undefined && size <= newest) {
      this.options.afterTick?.(newest);
      return { leader: true };
    }
    const published = await publishCheckpoint(db, signer);
    this.options.afterTick?.(published.size);
    return { leader: true, published };
  }
}

/** Long enough to survive a slow tick, short enough that a dead holder is replaced soon. */
const leaseMs = (intervalMs: number) => Math.max(10_000, intervalMs * 5);

/** Takes the lease if free, expired or already ours, in one statement (no read-then-write race). */
export async function takeLease(db: Db, holder: string, ms: number): Promise<boolean> {
  const rows = await db
    .insert(ledgerCheckpointer)
    .values({ id: 1, holder, expiresAt: sql`now() + ${ms} * interval '1 millisecond'` })
    .onConflictDoUpdate({
      target: ledgerCheckpointer.id,
      set: { holder, expiresAt: sql`excluded.expires_at` },
      setWhere: sql`${ledgerCheckpointer.holder} = ${holder} or ${ledgerCheckpointer.expiresAt} < now()`,
    })
    .returning({ holder: ledgerCheckpointer.holder });
  return rows.length === 1;
}

export async function newestCheckpointSize(db: Db): Promise<number | undefined> {
  const [row] = await db.select({ size: sql<number | null>`max(${ledgerCheckpoints.size})` }).from(ledgerCheckpoints);
  return row?.size == null ? undefined : Number(row.size);
}

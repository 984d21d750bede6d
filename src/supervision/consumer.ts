/**
 * The supervision consumer: folds new ledger entries, in index order, into the rollups and the
 * rule counters and cards. Each batch is one transaction that also moves the watermark, so a
 * crash mid-batch leaves nothing half-counted and the next run starts where the last commit
 * ended: no entry is counted twice or skipped. One process works at a time — each batch first
 * takes a transaction-scoped advisory lock and, failing that, does nothing (the process stands
 * by and tries again on its next tick).
 *
 * Ledger indexes are consecutive and commit in order (src/ledger/append.ts), so "every index
 * from the watermark up" is exactly the set of entries not yet folded.
 */
import { sql } from "drizzle-orm";
import type { Db, Tx } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import { readEntry, type VerificationFacts } from "./entry.ts";
import { RollupDeltas } from "./fold.ts";
import { evaluate, type Increment } from "./rules.ts";
import { loadRules } from "./rules-store.ts";
import { newMembers, writeCards, writeCounters, writeRollups } from "./store.ts";

/** pg advisory lock key for "the supervision consumer" (ASCII "hurensup"). */
export const CONSUMER_LOCK = 0x68757265_6e737570n;
/** Most entries folded in one transaction. */
const DEFAULT_BATCH = 2000;

export interface ConsumerDeps {
  db: Db;
  now: () => Date;
  newId: () => string;
  /** Keyed HMAC for case numbers (the consumer counts cases without storing them). */
  caseKey(window: string, caseRef: string): Promise<string>;
}

export interface BatchResult {
  /** False when another process holds the lock (this one stands by). */
  locked: boolean;
  /** Entries read (verifications and others). */
  entries: number;
  nextIndex: number;
}

export interface BatchOptions {
  maxEntries?: number;
  /** Tests only: runs inside the transaction after the rollups are written, before the watermark moves. */
  midBatch?: (tx: Tx) => Promise<void>;
}

async function adapterDepartments(tx: Tx, facts: VerificationFacts[]): Promise<Map<string, string>> {
  const wanted = new Set(facts.flatMap((f) => f.items.filter((i) => i.department === undefined && i.adapter).map((i) => i.adapter!)));
  if (wanted.size === 0) return new Map();
  const rows = rowsOf<{ id: string; department: string }>(await tx.execute(sql`select id, department from adapters where id in (select jsonb_array_elements_text(${JSON.stringify([...wanted])}::jsonb))`));
  return new Map(rows.map((r) => [r.id, r.department]));
}

/**
 * Folds up to `maxEntries` new entries in one transaction.
 * @example
 * const { entries } = await consumeBatch(deps); // 0 when caught up
 */
export async function consumeBatch(deps: ConsumerDeps, options: BatchOptions = {}): Promise<BatchResult> {
  const max = options.maxEntries ?? DEFAULT_BATCH;
  await deps.db.execute(sql`insert into supervision_state (id, next_index) values (1, 0) on conflict do nothing`);
  return deps.db.transaction(async (tx) => {
    const [lock] = rowsOf<{ ok: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${CONSUMER_LOCK.toString()}::bigint) as ok`));
    if (!lock?.ok) return { locked: false, entries: 0, nextIndex: -1 };
    // Row lock too: correctness holds even for a process that skipped the advisory lock.
    const [state] = rowsOf<{ next_index: string | number }>(await tx.execute(sql`select next_index from supervision_state where id = 1 for update`));
    const from = Number(state!.next_index);
    const rows = rowsOf<{ idx: string | number; entry_json: string }>(
      await tx.execute(sql`select idx, entry_json from ledger_entries where idx >= ${from} and idx < ${from + max} order by idx`),
    );
    // Stop at a gap, should one ever be visible: the watermark must never pass an unread index.
    let next = from;
    const facts: VerificationFacts[] = [];
    for (const r of rows) {
      if (Number(r.idx) !== next) break;
      const f = readEntry(next, r.entry_json);
      if (f) facts.push(f);
      next++;
    }
    if (next === from) return { locked: true, entries: 0, nextIndex: from };

    const departments = await adapterDepartments(tx, facts);
    const departmentOf = (adapter: string) => departments.get(adapter);
    const deltas = new RollupDeltas();
    for (const f of facts) deltas.add(f, departmentOf);
    await writeRollups(tx, deltas);

    const rules = await loadRules(tx);
    const caseKeys = new Map<string, string>();
    for (const f of facts) if (f.caseRef) caseKeys.set(`${f.window}\u0000${f.caseRef}`, await deps.caseKey(f.window, f.caseRef));
    const steps: Increment[] = facts.flatMap((f) => evaluate(rules, f, { caseKey: (w, c) => caseKeys.get(`${w}\u0000${c}`)!, departmentOf }));
    const fresh = await newMembers(tx, steps);
    const counting = steps.filter((s) => s.member === undefined || fresh.has(s));
    const openings = await writeCounters(tx, counting, rules);
    await writeCards(tx, openings, rules, { now: deps.now(), newId: deps.newId });

    await options.midBatch?.(tx);
    await tx.execute(sql`update supervision_state set next_index = ${next}, updated_at = now() where id = 1`);
    return { locked: true, entries: next - from, nextIndex: next };
  });
}

/**
 * Folds until caught up (or another process holds the lock); returns entries folded. A batch
 * smaller than the most it may take read everything committed when it started, so that is
 * caught up: entries appended while it ran wait for the next tick. Chasing them at once would,
 * under steady load, run a stream of tiny batches back to back, each rewriting every rollup row
 * it touches (their histograms included), to be at most one tick fresher.
 */
export async function catchUp(deps: ConsumerDeps, options: BatchOptions = {}): Promise<number> {
  const max = options.maxEntries ?? DEFAULT_BATCH;
  let total = 0;
  for (;;) {
    const r = await consumeBatch(deps, options);
    total += r.entries;
    if (!r.locked || r.entries < max) return total;
  }
}

export interface ConsumerHandle {
  stop(): Promise<void>;
}

/**
 * Runs the consumer in the background: catch up, wait `intervalMs`, repeat. Every gateway process
 * may run one; the lock lets one work while the others stand by. The timer is injectable.
 * @example const consumer = startConsumer(deps, { intervalMs: 1000, onError: (e) => log(e) });
 */
export function startConsumer(
  deps: ConsumerDeps,
  options: { intervalMs?: number; onError?: (err: unknown) => void; setTimer?: (fn: () => void, ms: number) => () => void } = {},
): ConsumerHandle {
  const intervalMs = options.intervalMs ?? 1000;
  const setTimer =
    options.setTimer ??
    ((fn, ms) => {
      const t = setTimeout(fn, ms);
      t.unref?.();
      return () => clearTimeout(t);
    });
  let stopped = false;
  let cancel: (() => void) | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    running = catchUp(deps)
      .then(() => undefined, (err: unknown) => options.onError?.(err))
      .finally(() => {
        running = undefined;
        if (!stopped) cancel = setTimer(tick, intervalMs);
      });
  };
  cancel = setTimer(tick, 0);
  return {
    async stop() {
      stopped = true;
      cancel?.();
      await running;
    },
  };
}

/**
 * The consumer's deps from the gateway's: a case number is counted under a keyed HMAC of the
 * window and case (the same keyed reference scheme as subjects), never stored as written.
 */
export function consumerDepsOf(d: { db: Db; now: () => Date; newId: () => string; secrets: { subjectRef(s: { type: string; id: string }): Promise<string> } }): ConsumerDeps {
  return { db: d.db, now: d.now, newId: d.newId, caseKey: (window, caseRef) => d.secrets.subjectRef({ type: "supervision-case", id: `${window}\n${caseRef}` }) };
}

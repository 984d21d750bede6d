/**
 * Writing the supervision store inside the consumer's transaction: rollup rows (read, added to,
 * written back), distinct-count sets, rule counters and cards. Each is one statement over a JSON
 * parameter, whatever the batch size. Only the consumer holding the advisory lock writes, so a
 * read-add-write of a rollup row cannot race another writer.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import { addFigures, rowId, type Figures, type RollupDeltas } from "./fold.ts";
import type { Increment, Rule } from "./rules.ts";

/** Adds the deltas to the stored rollup rows. */
export async function writeRollups(tx: Tx, deltas: RollupDeltas): Promise<void> {
  const rows = [...deltas.rows.values()];
  if (rows.length === 0) return;
  const keys = JSON.stringify(rows.map(({ dim, bucket, key }) => ({ dim, bucket, key })));
  const stored = rowsOf<{ dim: string; bucket: string; key: string; figures: Figures | string }>(
    await tx.execute(sql`
      select s.dim, s.bucket, s.key, s.figures from supervision_rollups s
      join jsonb_to_recordset(${keys}::jsonb) as r(dim text, bucket text, key text) on s.dim = r.dim and s.bucket = r.bucket and s.key = r.key`),
  );
  const merged = new Map(rows.map((r) => [rowId(r), r]));
  for (const s of stored) {
    const figures = typeof s.figures === "string" ? (JSON.parse(s.figures) as Figures) : s.figures;
    const r = merged.get(rowId(s));
    if (r) r.figures = addFigures(figures, r.figures);
  }
  const json = JSON.stringify(rows.map(({ dim, bucket, key, figures }) => ({ dim, bucket, key, figures })));
  await tx.execute(sql`
    insert into supervision_rollups (dim, bucket, key, figures)
    select dim, bucket, key, figures from jsonb_to_recordset(${json}::jsonb) as r(dim text, bucket text, key text, figures jsonb)
    on conflict (dim, bucket, key) do update set figures = excluded.figures`);
}

const tupleId = (i: { rule: string; counterKey: string; period: { key: string } }) => `${i.rule}\u0000${i.counterKey}\u0000${i.period.key}`;

/**
 * Which distinct-count steps are new: each member is inserted into its set, and only the steps
 * whose insert took (first in the batch, not seen before) count.
 */
export async function newMembers(tx: Tx, steps: Increment[]): Promise<Set<Increment>> {
  const first = new Map<string, Increment>();
  for (const s of steps) if (s.member !== undefined) first.set(`${tupleId(s)}\u0000${s.member}`, first.get(`${tupleId(s)}\u0000${s.member}`) ?? s);
  if (first.size === 0) return new Set();
  const json = JSON.stringify([...first.values()].map((s) => ({ rule: s.rule, counter_key: s.counterKey, period: s.period.key, member: s.member })));
  const inserted = rowsOf<{ rule: string; counter_key: string; period: string; member: string }>(
    await tx.execute(sql`
      insert into supervision_sets (rule, counter_key, period, member)
      select rule, counter_key, period, member from jsonb_to_recordset(${json}::jsonb) as r(rule text, counter_key text, period text, member text)
      on conflict do nothing
      returning rule, counter_key, period, member`),
  );
  return new Set(inserted.map((r) => first.get(`${r.rule}\u0000${r.counter_key}\u0000${r.period}\u0000${r.member}`)!));
}

export interface CardOpening {
  rule: string;
  counterKey: string;
  period: Increment["period"];
  target: Increment["target"];
  count: number;
  evidence: number[];
}

/**
 * Adds the counting steps to the rule counters and returns the counters at or over `yellow`
 * afterwards, each with the target of the step that reached it (for case-fanout: the operator
 * whose look-up did).
 */
export async function writeCounters(tx: Tx, steps: Increment[], rules: Record<string, Rule>): Promise<CardOpening[]> {
  if (steps.length === 0) return [];
  const byId = new Map<string, CardOpening & { before: number }>();
  for (const s of steps) if (!byId.has(tupleId(s))) byId.set(tupleId(s), { rule: s.rule, counterKey: s.counterKey, period: s.period, target: s.target, count: 0, evidence: [], before: 0 });
  const keys = JSON.stringify([...byId.values()].map((c) => ({ rule: c.rule, counter_key: c.counterKey, period: c.period.key })));
  const stored = rowsOf<{ rule: string; counter_key: string; period: string; count: number; evidence: number[] | string }>(
    await tx.execute(sql`
      select s.rule, s.counter_key, s.period, s.count, s.evidence from supervision_counters s
      join jsonb_to_recordset(${keys}::jsonb) as r(rule text, counter_key text, period text) on s.rule = r.rule and s.counter_key = r.counter_key and s.period = r.period`),
  );
  for (const s of stored) {
    const c = byId.get(`${s.rule}\u0000${s.counter_key}\u0000${s.period}`)!;
    c.count = c.before = Number(s.count);
    c.evidence = typeof s.evidence === "string" ? (JSON.parse(s.evidence) as number[]) : s.evidence;
  }
  for (const s of steps) {
    const c = byId.get(tupleId(s))!;
    const yellow = rules[s.rule]!.yellow;
    if (c.count < yellow && c.count + s.add >= yellow) c.target = s.target;
    c.count += s.add;
    if (c.evidence.length < 100 && c.evidence[c.evidence.length - 1] !== s.index) c.evidence.push(s.index);
  }
  const all = [...byId.values()];
  const json = JSON.stringify(all.map((c) => ({ rule: c.rule, counter_key: c.counterKey, period: c.period.key, count: c.count, evidence: c.evidence })));
  await tx.execute(sql`
    insert into supervision_counters (rule, counter_key, period, count, evidence)
    select rule, counter_key, period, count, evidence from jsonb_to_recordset(${json}::jsonb) as r(rule text, counter_key text, period text, count int, evidence jsonb)
    on conflict (rule, counter_key, period) do update set count = excluded.count, evidence = excluded.evidence`);
  // A counter already carded before this batch keeps its card's target (set when it opened).
  return all.filter((c) => c.count >= rules[c.rule]!.yellow);
}

/**
 * Opens each card once (the unique index makes a second opening of the same rule, counter and
 * period an update) and keeps its count, evidence and level current: yellow turns red, never back.
 */
export async function writeCards(tx: Tx, openings: CardOpening[], rules: Record<string, Rule>, ctx: { now: Date; newId: () => string }): Promise<void> {
  if (openings.length === 0) return;
  const json = JSON.stringify(
    openings.map((o) => {
      const rule = rules[o.rule]!;
      return {
        id: `card_${ctx.newId()}`,
        rule: o.rule,
        counter_key: o.counterKey,
        period: o.period.key,
        period_from: o.period.from.toISOString(),
        period_to: o.period.to.toISOString(),
        target_kind: o.target.kind,
        // A person is named on a card only by an id that means nothing outside it.
        target_id: o.target.kind === "subject" ? `subject_${ctx.newId().slice(-10).toLowerCase()}` : o.target.id,
        level: o.count >= rule.red ? "red" : "yellow",
        count: o.count,
        yellow: rule.yellow,
        red: rule.red,
        evidence: o.evidence,
      };
    }),
  );
  await tx.execute(sql`
    insert into supervision_cards (id, rule, counter_key, period, period_from, period_to, target_kind, target_id, level, count, yellow, red, evidence, state, notes, opened_at)
    select id, rule, counter_key, period, period_from, period_to, target_kind, target_id, level, count, yellow, red, evidence, 'open', '[]'::jsonb, ${ctx.now.toISOString()}::timestamptz
    from jsonb_to_recordset(${json}::jsonb) as r(id text, rule text, counter_key text, period text, period_from timestamptz, period_to timestamptz,
      target_kind text, target_id text, level text, count int, yellow int, red int, evidence jsonb)
    on conflict (rule, counter_key, period) do update set
      count = excluded.count,
      evidence = excluded.evidence,
      level = case when supervision_cards.level = 'red' or excluded.count >= supervision_cards.red then 'red' else 'yellow' end`);
}

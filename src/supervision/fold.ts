/**
 * Folding verifications into rollup figures, in memory: a batch of entries becomes one delta per
 * rollup row, which the consumer then adds to the stored rows. Pure; no database.
 *
 * Rows (dim · bucket · key):
 * - `adapter-d` / `adapter-h` · CST day / hour · JSON [department, adapter, evidence type]:
 *   items sent to a department (`asked`), `answered`, `unavailable` by error code, latency `hist`.
 * - `operator-d` / `operator-m` · day / month · `<window>/<uid>`: `verifications`, `items`,
 *   `certificateFree`, `denied`, `unavailable`, `denials` by reason. Windows and totals are sums.
 * - `matter-d` / `matter-m` · day / month · matter: `verifications`, `items`, `certificateFree`.
 * - `caller-d` · day · JSON [department, window, matter]: items a window asked a department for
 *   (`asked`, `answered`): who queried a department's data, in aggregate (the department's
 *   console page). No uid, no case, no person.
 * Month rows exist because a city has thousands of clerks: a month's report reads one row per
 * clerk instead of thirty.
 */
import { ANSWERED, operatorOf, type VerificationFacts } from "./entry.ts";
import { merge, record } from "./histogram.ts";
import { cstDay, cstHour } from "./time.ts";

export type Figures = Record<string, number | Record<string, number> | number[]>;

export interface RollupKey {
  dim: string;
  bucket: string;
  key: string;
}

export const rowId = (k: RollupKey): string => `${k.dim}\u0000${k.bucket}\u0000${k.key}`;

/** Adds figures `b` into `a` in place: numbers add, maps add per key, arrays (histograms) add per bin. */
export function addFigures(a: Figures, b: Figures): Figures {
  for (const [name, v] of Object.entries(b)) {
    const cur = a[name];
    if (typeof v === "number") a[name] = (typeof cur === "number" ? cur : 0) + v;
    else if (Array.isArray(v)) a[name] = merge(Array.isArray(cur) ? cur : [], v);
    else {
      const map = (cur && typeof cur === "object" && !Array.isArray(cur) ? cur : {}) as Record<string, number>;
      for (const [k, n] of Object.entries(v)) map[k] = (map[k] ?? 0) + n;
      a[name] = map;
    }
  }
  return a;
}

const bump = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);

export class RollupDeltas {
  readonly rows = new Map<string, RollupKey & { figures: Figures }>();

  private row(dim: string, bucket: string, key: string): Figures {
    const id = rowId({ dim, bucket, key });
    let r = this.rows.get(id);
    if (!r) this.rows.set(id, (r = { dim, bucket, key, figures: {} }));
    return r.figures;
  }

  /**
   * Adds one verification. `departmentOf` answers for entries that predate the item's `department`.
   * @example deltas.add(facts, (adapter) => adapters.get(adapter));
   */
  add(f: VerificationFacts, departmentOf: (adapter: string) => string | undefined): void {
    const day = cstDay(f.time);
    const hour = cstHour(f.time);
    const month = day.slice(0, 7);
    const ops = [this.row("operator-d", day, operatorOf(f)), this.row("operator-m", month, operatorOf(f))];
    const certificateFree = f.items.filter((i) => i.status === "verified").length;
    const counted = { verifications: 1, items: f.items.length, certificateFree };
    for (const row of [...ops, this.row("matter-d", day, f.matter), this.row("matter-m", month, f.matter)]) addFigures(row, counted);
    for (const item of f.items) {
      if (item.status === "denied") {
        for (const op of ops) addFigures(op, { denied: 1, denials: { [item.reason ?? "no-policy"]: 1 } });
        continue;
      }
      if (item.status === "unavailable") for (const op of ops) addFigures(op, { unavailable: 1 });
      const department = item.department === undefined ? (item.adapter ? departmentOf(item.adapter) : undefined) : item.department;
      // Not sent to any department (no adapter answers for it): counted at the window only.
      if (!department || !item.adapter) continue;
      const key = JSON.stringify([department, item.adapter, item.type]);
      const caller = this.row("caller-d", day, JSON.stringify([department, f.window, f.matter]));
      addFigures(caller, { asked: 1, answered: ANSWERED.has(item.status) ? 1 : 0 });
      for (const [dim, bucket] of [["adapter-d", day], ["adapter-h", hour]] as const) {
        const a = this.row(dim, bucket, key);
        a.asked = ((a.asked as number) ?? 0) + 1;
        if (ANSWERED.has(item.status)) {
          a.answered = ((a.answered as number) ?? 0) + 1;
          if (item.latencyMs !== null) a.hist = record((a.hist as number[]) ?? [], item.latencyMs);
        } else {
          bump(((a.unavailable as Record<string, number>) ??= {}), item.error ?? "unknown");
        }
      }
    }
  }
}

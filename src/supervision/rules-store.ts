/** Rules as data: the shipped defaults, replaced or added to by the admin's stored rules. */
import { sql } from "drizzle-orm";
import type { Queryable } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import { DEFAULT_RULES, ruleSchema, type Rule } from "./rules.ts";

/** Every rule in force, by id: a stored rule wins over the default of the same id. */
export async function loadRules(q: Queryable): Promise<Record<string, Rule>> {
  const rows = rowsOf<{ id: string; rule: Rule | string }>(await q.execute(sql`select id, rule from supervision_rules`));
  const out: Record<string, Rule> = { ...DEFAULT_RULES };
  for (const r of rows) {
    const parsed = ruleSchema.safeParse(typeof r.rule === "string" ? JSON.parse(r.rule) : r.rule);
    if (parsed.success) out[r.id] = parsed.data;
  }
  return out;
}

/**
 * Stores a rule (admin). It applies from the consumer's next batch; counts already made in the
 * current period stay (a changed threshold is compared with them).
 * @example await putRule(db, "bulk-lookups", { kind: "bulk-lookups", period: "1d", yellow: 60, red: 120 }, "city-admin");
 */
export async function putRule(q: Queryable, id: string, rule: Rule, by: string): Promise<Rule> {
  await q.execute(sql`
    insert into supervision_rules (id, rule, updated_by, updated_at) values (${id}, ${JSON.stringify(rule)}::jsonb, ${by}, now())
    on conflict (id) do update set rule = excluded.rule, updated_by = excluded.updated_by, updated_at = now()`);
  return rule;
}

/** The rules in force, with whether each is the shipped default. */
export async function listRules(q: Queryable): Promise<{ id: string; rule: Rule; default: boolean }[]> {
  const stored = new Set(rowsOf<{ id: string }>(await q.execute(sql`select id from supervision_rules`)).map((r) => r.id));
  return Object.entries(await loadRules(q))
    .map(([id, rule]) => ({ id, rule, default: !stored.has(id) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

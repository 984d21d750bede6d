/**
 * Red and yellow card rules (§10): rules are data, evaluated per entry by the consumer. Each rule
 * counts something per target and period (a CST clock hour or calendar day); a card opens
 * yellow when the count reaches `yellow` and turns red at `red`. Thresholds of the shipped rules
 * and the reasoning behind them are in docs/supervision.md.
 */
import { z } from "zod";
import { serviceHoursSchema, type ServiceHours } from "../policies/model.ts";
import { withinServiceHours } from "../policies/clock.ts";
import { ANSWERED, operatorOf, type VerificationFacts } from "./entry.ts";
import { periodOf } from "./time.ts";

export const RULE_KINDS = ["bulk-lookups", "after-hours", "repeated-denials", "case-fanout", "subject-hotspot", "department-unavailable", "department-slow"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export type TargetKind = "window" | "operator" | "department" | "subject";

export const ruleSchema = z
  .object({
    kind: z.enum(RULE_KINDS),
    period: z.enum(["1h", "1d"]),
    yellow: z.int().min(1).max(1_000_000),
    red: z.int().min(1).max(1_000_000),
    enabled: z.boolean().default(true),
    /** after-hours: the hours a window is open (CST); default Mon–Fri 08:30–17:30. */
    serviceHours: serviceHoursSchema.optional(),
    /** department-slow: an answer slower than this is a breach; default 3000. */
    thresholdMs: z.int().min(1).max(600_000).optional(),
    description: z.string().max(500).optional(),
  })
  .strict()
  .refine((r) => r.red >= r.yellow, { message: "red must be at least yellow", path: ["red"] });
export type Rule = z.infer<typeof ruleSchema>;

export const DEFAULT_SERVICE_HOURS: ServiceHours = [{ days: [1, 2, 3, 4, 5], from: "08:30", to: "17:30" }];
export const DEFAULT_SLOW_MS = 3000;

/** The shipped rules, by id (= kind). An admin's PUT with the same id replaces one. */
export const DEFAULT_RULES: Record<string, Rule> = {
  "bulk-lookups": { kind: "bulk-lookups", period: "1d", yellow: 40, red: 80, enabled: true, description: "distinct people looked up by one clerk in a day" },
  "after-hours": { kind: "after-hours", period: "1d", yellow: 3, red: 10, enabled: true, serviceHours: DEFAULT_SERVICE_HOURS, description: "verifications by one window outside service hours in a day" },
  "repeated-denials": { kind: "repeated-denials", period: "1d", yellow: 10, red: 25, enabled: true, description: "items denied to one clerk in a day" },
  "case-fanout": { kind: "case-fanout", period: "1d", yellow: 6, red: 12, enabled: true, description: "distinct people under one case number at one window in a day" },
  "subject-hotspot": { kind: "subject-hotspot", period: "1d", yellow: 3, red: 5, enabled: true, description: "distinct windows that looked up one person in a day" },
  "department-unavailable": { kind: "department-unavailable", period: "1h", yellow: 5, red: 20, enabled: true, description: "items a department failed to answer in an hour" },
  "department-slow": { kind: "department-slow", period: "1h", yellow: 5, red: 20, enabled: true, thresholdMs: DEFAULT_SLOW_MS, description: "answers slower than thresholdMs from one department in an hour (超时预警)" },
};

/**
 * One step of a counter. With `member`, it counts only if the member is new to the counter's set
 * in that period (distinct counts); otherwise it adds `add`.
 */
export interface Increment {
  rule: string;
  /** Private: what the counter is about (may be a subject reference or a case HMAC). */
  counterKey: string;
  period: { key: string; from: Date; to: Date };
  add: number;
  member?: string;
  index: number;
  /** Whom a card opened by this step names. For a subject, the kind only: its id is made card-local. */
  target: { kind: TargetKind; id: string };
}

export interface EvaluateContext {
  /** Keyed HMAC of a window's case number: cases are counted without being stored. */
  caseKey(window: string, caseRef: string): string;
  /** For entries that predate the item's `department`. */
  departmentOf(adapter: string): string | undefined;
}

/**
 * The increments one verification makes under the enabled rules.
 * @example evaluate({ "after-hours": rule }, facts, ctx) // [{ rule: "after-hours", counterKey: "nanguan-window-01", add: 1, … }]
 */
export function evaluate(rules: Record<string, Rule>, f: VerificationFacts, ctx: EvaluateContext): Increment[] {
  const out: Increment[] = [];
  const operator = operatorOf(f);
  for (const [id, rule] of Object.entries(rules)) {
    if (!rule.enabled) continue;
    const period = periodOf(rule.period, f.time);
    const step = (counterKey: string, target: Increment["target"], add: number, member?: string) => {
      if (add > 0) out.push({ rule: id, counterKey, period, add, index: f.index, target, ...(member !== undefined ? { member } : {}) });
    };
    switch (rule.kind) {
      case "bulk-lookups":
        if (f.subjectRef) step(operator, { kind: "operator", id: operator }, 1, f.subjectRef);
        break;
      case "after-hours":
        if (!withinServiceHours(f.time, rule.serviceHours ?? DEFAULT_SERVICE_HOURS)) step(f.window, { kind: "window", id: f.window }, 1);
        break;
      case "repeated-denials":
        step(operator, { kind: "operator", id: operator }, f.items.filter((i) => i.status === "denied").length);
        break;
      case "case-fanout":
        if (f.caseRef && f.subjectRef) step(ctx.caseKey(f.window, f.caseRef), { kind: "operator", id: operator }, 1, f.subjectRef);
        break;
      case "subject-hotspot":
        if (f.subjectRef) step(f.subjectRef, { kind: "subject", id: "" }, 1, f.window);
        break;
      case "department-unavailable":
      case "department-slow": {
        const counts = new Map<string, number>();
        for (const item of f.items) {
          const department = item.department === undefined ? (item.adapter ? ctx.departmentOf(item.adapter) : undefined) : item.department;
          if (!department) continue;
          const hit =
            rule.kind === "department-unavailable"
              ? item.status === "unavailable"
              : ANSWERED.has(item.status) && item.latencyMs !== null && item.latencyMs > (rule.thresholdMs ?? DEFAULT_SLOW_MS);
          if (hit) counts.set(department, (counts.get(department) ?? 0) + 1);
        }
        for (const [department, n] of counts) step(department, { kind: "department", id: department }, n);
        break;
      }
    }
  }
  return out;
}

/**
 * Helpers for the supervision tests: departments that fail or stall (real HTTP servers on
 * loopback), crafted ledger entries at chosen times, and a snapshot of the supervision store.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import type { Db } from "../../src/db/types.ts";
import { rowsOf } from "../../src/db/rows.ts";
import type { Harness } from "../harness.ts";

/** A department endpoint that answers 500 (`fail`) or holds the request open (`stall`). */
export async function badDepartment(mode: "fail" | "stall"): Promise<{ url: string; close(): Promise<void> }> {
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    if (mode === "fail") {
      res.writeHead(500, { "content-type": "application/json" });
      res.end('{"error":"database down"}');
    } else held.push(res);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/lookup`,
    close: () =>
      new Promise<void>((done) => {
        for (const r of held) r.destroy();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export interface CraftedItem {
  type?: string;
  status: "verified" | "not_found" | "invalid" | "mismatch" | "denied" | "unavailable";
  department?: string | null;
  adapter?: string | null;
  latencyMs?: number | null;
  error?: string | null;
  reason?: string;
}

export interface Crafted {
  time: string;
  window?: string;
  uid?: string;
  subject?: string;
  case?: string;
  matter?: string;
  items?: CraftedItem[];
  /** Write the entry as an older gateway did: no department, adapter or latency. */
  legacy?: boolean;
  /** A non-verification entry (e.g. audit-access). */
  kind?: string;
}

let seq = 0;

/** Appends crafted entries to the ledger through its writer, in order. */
export async function craft(h: Harness, list: Crafted[]): Promise<number[]> {
  const out: number[] = [];
  for (const c of list) {
    const verificationId = `vf_crafted_${++seq}_${Math.random().toString(36).slice(2, 8)}`;
    const subjectRef = `sr1_${c.subject ?? "person-a"}`;
    const window = c.window ?? "nanguan-window-01";
    const items = (c.items ?? [{ status: "verified" }]).map((i) => {
      const base = {
        type: i.type ?? "housing.no-property-proof",
        decision: i.status === "denied" ? "deny" : "permit",
        reasons: i.status === "denied" ? [i.reason ?? "no-rule"] : [],
        status: i.status,
        source: i.status === "denied" ? null : (i.adapter ?? "cc-housing-fixture"),
        error: i.error ?? (i.status === "unavailable" ? "timeout" : null),
      };
      if (c.legacy) return base;
      const asked = i.status !== "denied";
      return { ...base, department: asked ? (i.department ?? "cc-housing") : null, adapter: asked ? (i.adapter ?? "cc-housing-fixture") : null, latencyMs: asked ? (i.latencyMs ?? 20) : null };
    });
    const entry = c.kind
      ? { v: 1, kind: c.kind, time: c.time, requester: "city-auditor", uid: "a-1", purpose: "ticket-1", subject: { type: "resident-id", ref: subjectRef } }
      : { v: 1, verificationId, time: c.time, requester: window, uid: c.uid ?? "clerk-1", matter: c.matter ?? "220100-public-rental-housing", case: c.case ?? `case-${seq}`, subject: { type: "resident-id", ref: subjectRef }, decision: "permitted", items };
    const at = await h.deps.ledger.writer.append({
      entry,
      verificationId,
      subjectRef,
      requester: window,
      uid: c.uid ?? "clerk-1",
      matter: c.matter ?? "220100-public-rental-housing",
      caseRef: c.case,
      decision: "permitted",
      evidenceTypes: items.map((i) => i.type),
      recordedAt: new Date(c.time),
    });
    out.push(at.index);
  }
  return out;
}

/** Everything the consumer wrote, in a comparable form (card ids and opening times left out). */
export async function snapshot(db: Db): Promise<unknown> {
  const rollups = rowsOf(await db.execute(sql`select dim, bucket, key, figures::text as figures from supervision_rollups order by dim, bucket, key`));
  const counters = rowsOf(await db.execute(sql`select rule, counter_key, period, count, evidence::text as evidence from supervision_counters order by 1, 2, 3`));
  const sets = rowsOf(await db.execute(sql`select count(*)::int as n from supervision_sets`));
  const cards = rowsOf(await db.execute(sql`select rule, counter_key, period, target_kind, case when target_kind = 'subject' then '' else target_id end as target_id, level, count, evidence::text as evidence from supervision_cards order by 1, 2, 3`));
  const [state] = rowsOf<{ next_index: string | number }>(await db.execute(sql`select next_index from supervision_state`));
  return { rollups, counters, sets, cards, next: Number(state?.next_index ?? 0) };
}

/** Empties the supervision store, so the same ledger can be folded again from the start. */
export async function resetStore(db: Db): Promise<void> {
  await db.execute(sql`delete from supervision_rollups`);
  await db.execute(sql`delete from supervision_counters`);
  await db.execute(sql`delete from supervision_sets`);
  await db.execute(sql`delete from supervision_cards`);
  await db.execute(sql`update supervision_state set next_index = 0`);
}

/** Every string in a JSON value, to look for person data in answers. */
export const textOf = (v: unknown): string => JSON.stringify(v);

/** Varied traffic over two CST days: answers, failures, denials, several windows and clerks. */
export function traffic(n: number): Crafted[] {
  return Array.from({ length: n }, (_, i) => ({
    time: new Date(Date.parse("2026-11-24T02:00:00Z") + i * 97_000).toISOString(),
    window: `w-${i % 3}`,
    uid: `c-${i % 5}`,
    subject: `p-${i % 17}`,
    case: `K-${i % 11}`,
    items: [
      { status: i % 4 === 0 ? "unavailable" : "verified", department: `d-${i % 2}`, adapter: `a-${i % 2}`, latencyMs: 10 + (i % 50) * 37 },
      ...(i % 3 === 0 ? [{ status: "denied" as const, reason: i % 2 ? "no-rule" : "consent-required" }] : []),
    ],
  }));
}


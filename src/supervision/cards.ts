/**
 * Cards as the supervision office sees them, and the two things it does with one: acknowledge
 * (seen, being looked into) and close, each with a note recorded with who and when. A card never
 * shows its private counter key: a person is named only by the card-local target id, a case only
 * by the ledger indexes in `evidence` (which an auditor can open).
 */
import { sql } from "drizzle-orm";
import type { Queryable } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import { HurenError } from "../errors.ts";
import { rfc3339Cst } from "./time.ts";

export const CARD_STATES = ["open", "acknowledged", "closed"] as const;
export type CardState = (typeof CARD_STATES)[number];

export interface CardNote {
  by: string;
  at: string;
  note: string;
  action: "acknowledge" | "close";
}

export interface Card {
  id: string;
  level: "yellow" | "red";
  rule: string;
  target: { kind: string; id: string };
  period: { from: string; to: string };
  count: number;
  threshold: number;
  thresholds: { yellow: number; red: number };
  evidence: number[];
  state: CardState;
  openedAt: string;
  notes: CardNote[];
}

interface CardRow {
  id: string;
  rule: string;
  period_from: Date | string;
  period_to: Date | string;
  target_kind: string;
  target_id: string;
  level: "yellow" | "red";
  count: number;
  yellow: number;
  red: number;
  evidence: number[] | string;
  state: CardState;
  notes: CardNote[] | string;
  opened_at: Date | string;
}

const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);
const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));

const toCard = (r: CardRow): Card => ({
  id: r.id,
  level: r.level,
  rule: r.rule,
  target: { kind: r.target_kind, id: r.target_id },
  period: { from: rfc3339Cst(date(r.period_from)), to: rfc3339Cst(date(r.period_to)) },
  count: Number(r.count),
  // The threshold the card's level stands on.
  threshold: r.level === "red" ? Number(r.red) : Number(r.yellow),
  thresholds: { yellow: Number(r.yellow), red: Number(r.red) },
  evidence: json<number[]>(r.evidence).map(Number),
  state: r.state,
  openedAt: date(r.opened_at).toISOString(),
  notes: json<CardNote[]>(r.notes),
});

const columns = sql`id, rule, period_from, period_to, target_kind, target_id, level, count, yellow, red, evidence, state, notes, opened_at`;

/** Cards, newest first; `state` filters. At most `limit` (default 500). */
export async function listCards(q: Queryable, filter: { state?: CardState | undefined; limit?: number } = {}): Promise<Card[]> {
  const where = filter.state ? sql`where state = ${filter.state}` : sql``;
  const rows = rowsOf<CardRow>(await q.execute(sql`select ${columns} from supervision_cards ${where} order by opened_at desc, id desc limit ${filter.limit ?? 500}`));
  return rows.map(toCard);
}

/** How many cards are in `state` (the overview's "open cards"). */
export async function countCards(q: Queryable, state: CardState): Promise<number> {
  const [row] = rowsOf<{ n: number | string }>(await q.execute(sql`select count(*) as n from supervision_cards where state = ${state}`));
  return Number(row?.n ?? 0);
}

/**
 * Acknowledges or closes a card with a note by `<member>/<uid>`. A closed card stays closed;
 * acknowledging a closed card is a 409.
 * @throws HurenError card-not-found (404), card-closed (409)
 */
export async function actOnCard(q: Queryable, id: string, act: { action: "acknowledge" | "close"; note: string; by: string; at: Date }): Promise<Card> {
  const note: CardNote = { by: act.by, at: act.at.toISOString(), note: act.note, action: act.action };
  const state: CardState = act.action === "close" ? "closed" : "acknowledged";
  const rows = rowsOf<CardRow>(
    await q.execute(sql`
      update supervision_cards set state = ${state}, notes = notes || ${JSON.stringify([note])}::jsonb,
        closed_at = case when ${state} = 'closed' then ${act.at.toISOString()}::timestamptz else closed_at end
      where id = ${id} and state <> 'closed'
      returning ${columns}`),
  );
  if (rows[0]) return toCard(rows[0]);
  const exists = rowsOf<{ id: string }>(await q.execute(sql`select id from supervision_cards where id = ${id}`));
  if (exists.length === 0) throw new HurenError("card-not-found", 404, "Card not found", `no card ${id}`);
  throw new HurenError("card-closed", 409, "Card closed", `card ${id} is closed; a closed card takes no more actions`);
}

/** Cards opened (their period starts) and closed in [from, to). */
export async function cardCounts(q: Queryable, from: Date, to: Date): Promise<{ opened: number; closed: number }> {
  const [row] = rowsOf<{ opened: string | number; closed: string | number }>(
    await q.execute(sql`select
      (select count(*) from supervision_cards where period_from >= ${from.toISOString()}::timestamptz and period_from < ${to.toISOString()}::timestamptz) as opened,
      (select count(*) from supervision_cards where closed_at >= ${from.toISOString()}::timestamptz and closed_at < ${to.toISOString()}::timestamptz) as closed`),
  );
  return { opened: Number(row?.opened ?? 0), closed: Number(row?.closed ?? 0) };
}

/**
 * Each shipped rule raises a card for exactly the target that misbehaved, and not for the ones
 * that stayed under its threshold; cards escalate yellow → red, take notes, and count in CST
 * periods. Entries are crafted into the ledger at chosen times (a Tuesday in November 2026).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catchUp, consumerDepsOf } from "../../src/supervision/consumer.ts";
import { createHarness, type Actor, type Harness } from "../harness.ts";
import { craft, type Crafted } from "./support.ts";

const at = (cst: string) => new Date(`${cst}+08:00`).toISOString();
const DAY = "2026-11-24"; // a Tuesday
const inHours = (min: number) => at(`${DAY}T10:${String(min).padStart(2, "0")}:00`);

describe("card rules", () => {
  let h: Harness;
  let supervisor: Actor;
  const run = () => catchUp(consumerDepsOf(h.deps));
  const cards = async (state?: string) => {
    const res = await h.call(supervisor, "GET", `/v1/supervision/cards${state ? `?state=${state}` : ""}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { cards: any[] }).cards;
  };

  beforeAll(async () => {
    h = await createHarness();
    supervisor = { ...(await h.addMember("city-supervision", "supervisor")), uid: "sup-7" };
    const put = await h.call(h.admin, "PUT", "/v1/supervision/rules/bulk-lookups", { kind: "bulk-lookups", period: "1d", yellow: 7, red: 9 });
    expect(put.status).toBe(200);
    const list: Crafted[] = [];
    const many = (n: number, f: (i: number) => Crafted) => list.push(...Array.from({ length: n }, (_, i) => f(i)));
    // bulk-lookups (set to 7/9 above): clerk bulk/a looks up 7 different people (yellow); bulk/b one person 6 times.
    many(7, (i) => ({ time: inHours(i), window: "w-bulk", uid: "a", subject: `bulk-${i}` }));
    many(6, (i) => ({ time: inHours(i), window: "w-bulk", uid: "b", subject: "bulk-same" }));
    // after-hours: w-late verifies 3 times at 20:00 (default yellow 3); w-early twice at 08:00.
    many(3, (i) => ({ time: at(`${DAY}T20:0${i}:00`), window: "w-late", subject: `late-${i}` }));
    many(2, (i) => ({ time: at(`${DAY}T08:0${i}:00`), window: "w-early", subject: `early-${i}` }));
    // repeated-denials: deny/a gets 10 denied items (default yellow 10); deny/b 9.
    many(5, (i) => ({ time: inHours(i), window: "w-deny", uid: "a", subject: "deny-a", items: [{ status: "denied", reason: "no-rule" }, { status: "denied", reason: "consent-required" }] }));
    many(9, (i) => ({ time: inHours(i), window: "w-deny", uid: "b", subject: "deny-b", items: [{ status: "denied" }] }));
    // case-fanout: case FAN-1 at w-fan gets 6 people (default yellow 6), the 6th by fan/z; FAN-2 one person 7 times.
    many(6, (i) => ({ time: inHours(i), window: "w-fan", uid: i === 5 ? "z" : "y", case: "FAN-1", subject: `fan-${i}` }));
    many(7, (i) => ({ time: inHours(i), window: "w-fan", uid: "y", case: "FAN-2", subject: "fan-same" }));
    // subject-hotspot: hot-person seen by 3 windows (default yellow 3); cold-person by one window 3 times.
    many(3, (i) => ({ time: inHours(i), window: `w-hot-${i}`, subject: "hot-person" }));
    many(3, (i) => ({ time: inHours(i), window: "w-cold", subject: "cold-person" }));
    // department-unavailable: cc-hrss fails 5 items in one hour (default yellow 5); cc-housing 4.
    many(5, (i) => ({ time: inHours(i), window: "w-dept", subject: "dept-person", items: [{ status: "unavailable", department: "cc-hrss", adapter: "cc-hrss-http", error: "timeout" }] }));
    many(4, (i) => ({ time: inHours(i), window: "w-dept", subject: "dept-person", items: [{ status: "unavailable", department: "cc-housing", error: "bad-status" }] }));
    // department-slow: cc-market answers 5 items after 5 s (default 3000 ms, yellow 5); cc-cdpf answers fast.
    many(5, (i) => ({ time: inHours(i), window: "w-dept", subject: "dept-person", items: [{ status: "verified", department: "cc-market-regulation", adapter: "cc-market-http", latencyMs: 5000 }] }));
    many(6, (i) => ({ time: inHours(i), window: "w-dept", subject: "dept-person", items: [{ status: "verified", department: "cc-disabled-federation", adapter: "cc-cdpf", latencyMs: 100 }] }));
    await craft(h, list);
    await run();
  }, 60_000);
  afterAll(async () => h?.close());

  it("opens one card per misbehaving target and none for the others", async () => {
    const got = (await cards()).map((c) => `${c.rule} ${c.target.kind}:${c.target.kind === "subject" ? "*" : c.target.id} ${c.level} ${c.count}/${c.threshold}`).sort();
    expect(got).toEqual([
      "after-hours window:w-late yellow 3/3",
      "bulk-lookups operator:w-bulk/a yellow 7/7",
      "case-fanout operator:w-fan/z yellow 6/6",
      "department-slow department:cc-market-regulation yellow 5/5",
      "department-unavailable department:cc-hrss yellow 5/5",
      "repeated-denials operator:w-deny/a yellow 10/10",
      "subject-hotspot subject:* yellow 3/3",
    ]);
  });

  it("names a person only by a card-local id, and carries ledger indexes as evidence", async () => {
    const hot = (await cards()).find((c) => c.rule === "subject-hotspot")!;
    expect(hot.target.id).toMatch(/^subject_[0-9a-z]{10}$/);
    expect(JSON.stringify(hot)).not.toContain("sr1_");
    expect(hot.evidence).toHaveLength(3);
    expect(hot.period).toEqual({ from: `${DAY}T00:00:00+08:00`, to: "2026-11-25T00:00:00+08:00" });
    const dept = (await cards()).find((c) => c.rule === "department-unavailable")!;
    expect(dept.period).toEqual({ from: `${DAY}T10:00:00+08:00`, to: `${DAY}T11:00:00+08:00` });
  });

  it("escalates the same card from yellow to red, once, however many batches", async () => {
    const before = (await cards()).find((c) => c.rule === "bulk-lookups")!;
    await craft(h, [{ time: inHours(30), window: "w-bulk", uid: "a", subject: "bulk-7" }]);
    await run();
    expect((await cards()).find((c) => c.rule === "bulk-lookups")).toMatchObject({ id: before.id, level: "yellow", count: 8 });
    await craft(h, [{ time: inHours(31), window: "w-bulk", uid: "a", subject: "bulk-8" }, { time: inHours(32), window: "w-bulk", uid: "a", subject: "bulk-0" }]);
    await run();
    const after = (await cards()).filter((c) => c.rule === "bulk-lookups");
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: before.id, level: "red", count: 9, threshold: 9, thresholds: { yellow: 7, red: 9 } });
    expect(after[0].evidence).toHaveLength(9);
  });

  it("acknowledges and closes with notes saying who and when; a closed card takes no more", async () => {
    const card = (await cards("open")).find((c) => c.rule === "after-hours")!;
    const ack = await h.call(supervisor, "POST", `/v1/supervision/cards/${card.id}/acknowledge`, { note: "已联系窗口负责人" });
    expect(ack.status).toBe(200);
    expect((await cards("acknowledged")).map((c) => c.id)).toContain(card.id);
    const closed = (await (await h.call(supervisor, "POST", `/v1/supervision/cards/${card.id}/close`, { note: "加班办理，已核实" })).json()) as any;
    expect(closed.state).toBe("closed");
    expect(closed.notes).toEqual([
      { by: "city-supervision/sup-7", at: expect.any(String), note: "已联系窗口负责人", action: "acknowledge" },
      { by: "city-supervision/sup-7", at: expect.any(String), note: "加班办理，已核实", action: "close" },
    ]);
    expect((await h.call(supervisor, "POST", `/v1/supervision/cards/${card.id}/acknowledge`, { note: "again" })).status).toBe(409);
    expect((await h.call(supervisor, "POST", `/v1/supervision/cards/card_nope/close`, { note: "x" })).status).toBe(404);
    expect((await h.call(supervisor, "POST", `/v1/supervision/cards/${card.id}/close`, {})).status).toBe(400);
  });

  it("lists the rules in force, the admin's beside the defaults, and refuses a bad one", async () => {
    const res = await h.call(supervisor, "GET", "/v1/supervision/rules");
    const { rules } = (await res.json()) as { rules: any[] };
    expect(rules.map((r) => r.id)).toEqual(["after-hours", "bulk-lookups", "case-fanout", "department-slow", "department-unavailable", "repeated-denials", "subject-hotspot"]);
    expect(rules.find((r) => r.id === "bulk-lookups")).toMatchObject({ yellow: 7, red: 9, default: false });
    expect(rules.find((r) => r.id === "department-slow")).toMatchObject({ thresholdMs: 3000, default: true });
    expect((await h.call(h.admin, "PUT", "/v1/supervision/rules/x", { kind: "bulk-lookups", period: "1d", yellow: 5, red: 2 })).status).toBe(400);
    expect((await h.call(h.admin, "PUT", "/v1/supervision/rules/x", { kind: "nope", period: "1d", yellow: 1, red: 2 })).status).toBe(400);
  });
});

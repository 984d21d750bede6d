/**
 * Supervision figures equal the traffic sent: verifications through the real app to real HTTP
 * departments that answer (civil affairs), fail (market regulation answers 500) and stall
 * (housing never answers), plus policy denials; then the consumer folds the ledger and §10
 * answers are compared with a tally of the answers the window got.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyBootstrap } from "../../src/bootstrap.ts";
import { DEMO_COMPANY, DEMO_PEOPLE } from "../../src/demo/data.ts";
import { catchUp, consumerDepsOf } from "../../src/supervision/consumer.ts";
import { parseSections } from "../../src/supervision/csv.ts";
import { cstDay } from "../../src/supervision/time.ts";
import { createHarness, type Actor, type Harness } from "../harness.ts";
import { createWorld, HOUSING, type World } from "../world.ts";
import { badDepartment } from "./support.ts";

describe("supervision figures follow the traffic", () => {
  let h: Harness;
  let w: World;
  let supervisor: Actor;
  let bad: { close(): Promise<void> }[] = [];
  const tally = { verifications: 0, items: 0, verified: 0, denied: {} as Record<string, number>, perAdapter: {} as Record<string, { asked: number; answered: number; unavailable: Record<string, number> }> };
  const people = [DEMO_PEOPLE.zhangSan, DEMO_PEOPLE.liSi, DEMO_PEOPLE.wangWu];
  const cases: string[] = [];

  const send = async (window: Actor, body: Record<string, unknown>) => {
    const res = await h.call(window, "POST", "/v1/verifications", body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { results: { type: string; status: string; source?: string; reason?: string }[] };
    tally.verifications++;
    for (const r of answer.results) {
      tally.items++;
      if (r.status === "verified") tally.verified++;
      if (r.status === "denied") tally.denied[r.reason!] = (tally.denied[r.reason!] ?? 0) + 1;
      if (r.status === "denied" || !r.source) continue;
      const a = (tally.perAdapter[r.source] ??= { asked: 0, answered: 0, unavailable: {} });
      a.asked++;
      if (r.status === "unavailable") a.unavailable[r.reason!] = (a.unavailable[r.reason!] ?? 0) + 1;
      else a.answered++;
    }
  };

  beforeAll(async () => {
    h = await createHarness({ lookupDeadlineMs: 2000 });
    w = await createWorld(h);
    supervisor = { ...(await h.addMember("city-supervision", "supervisor")), uid: "sup-7" };
    const failing = await badDepartment("fail");
    const stalling = await badDepartment("stall");
    bad = [failing, stalling];
    await applyBootstrap(h.deps.db, h.deps.secrets, {
      adapters: [
        { id: "cc-market-fixture", department: "cc-market-regulation", kind: "fixture", evidenceTypes: ["business-license.registration"], config: { records: [] }, enabled: false },
        { id: "cc-market-http", department: "cc-market-regulation", kind: "http", evidenceTypes: ["business-license.registration"], config: { endpoint: failing.url, timeoutMs: 1000, answerSignature: "none" }, enabled: true },
        { id: "cc-housing-fixture", department: "cc-housing", kind: "fixture", evidenceTypes: ["housing.no-property-proof"], config: { records: [] }, enabled: false },
        { id: "cc-housing-http", department: "cc-housing", kind: "http", evidenceTypes: ["housing.no-property-proof"], config: { endpoint: stalling.url, timeoutMs: 300, answerSignature: "none" }, enabled: true },
      ],
    });
    h.deps.config.changes.invalidate();
    const second = { ...w.window, uid: "clerk-2" };
    for (let i = 0; i < 6; i++) {
      const p = people[i % 3]!;
      cases.push(`NG-SUP-${i}`);
      await send(i % 2 ? second : w.window, {
        matter: HOUSING,
        case: `NG-SUP-${i}`,
        subject: { type: "resident-id", id: p.id, name: p.name },
        evidence: [{ type: "subsistence-allowance.certificate" }, ...(i < 2 ? [{ type: "housing.no-property-proof" }] : []), { type: "disability.certificate" }],
      });
    }
    for (let i = 0; i < 3; i++) await send(w.window, { matter: "220100-business-permit", case: `NG-BIZ-${i}`, subject: { type: "uscc", id: DEMO_COMPANY.id }, evidence: [{ type: "business-license.registration" }] });
    await catchUp(consumerDepsOf(h.deps));
  }, 60_000);
  afterAll(async () => {
    for (const b of bad) await b.close();
    await w?.close();
    await h?.close();
  });

  const today = () => cstDay(new Date());
  const get = async (path: string) => {
    const res = await h.call(supervisor, "GET", path);
    expect(res.status).toBe(200);
    return (await res.json()) as any;
  };

  it("departments: asked, answered and unavailable by code equal what the windows were told", async () => {
    const body = await get(`/v1/supervision/departments?from=${today()}&to=${today()}`);
    const adapters = Object.fromEntries(body.departments.flatMap((d: any) => d.adapters.map((a: any) => [a.adapter, { asked: a.asked, answered: a.answered, unavailable: a.unavailable }])));
    expect(adapters).toEqual(tally.perAdapter);
    const civil = body.departments.find((d: any) => d.department === "cc-civil-affairs");
    expect(civil).toMatchObject({ asked: 6, answered: 6, fulfilment: 1, unavailable: {} });
    expect(civil.p50Ms).toBeGreaterThanOrEqual(0);
    expect(civil.p99Ms).toBeGreaterThanOrEqual(civil.p50Ms);
    const housing = body.departments.find((d: any) => d.department === "cc-housing");
    expect(housing).toMatchObject({ asked: 2, answered: 0, fulfilment: 0, p95Ms: null });
    const market = body.departments.find((d: any) => d.department === "cc-market-regulation");
    expect(market).toMatchObject({ asked: 3, answered: 0, fulfilment: 0, name: "cc-market-regulation" });
  });

  it("windows and operators: verifications, items, certificateFree and denials equal the traffic", async () => {
    const body = await get(`/v1/supervision/windows?from=${today()}`);
    expect(body.windows).toHaveLength(1);
    const win = body.windows[0];
    expect(win).toMatchObject({ window: "nanguan-window-01", verifications: tally.verifications, items: tally.items, certificateFree: tally.verified, denials: tally.denied });
    expect(tally.verified).toBe(2); // 张三's 低保, twice
    expect(win.operators.map((o: any) => o.operator)).toEqual(["nanguan-window-01/clerk-2", "nanguan-window-01/nanguan-window-01-staff-1"]);
    expect(win.operators.reduce((s: number, o: any) => s + o.verifications, 0)).toBe(tally.verifications);
    const denials = await get(`/v1/supervision/denials`);
    expect(denials.denials).toEqual(tally.denied);
    expect(denials.totals).toMatchObject({ verifications: 9, items: tally.items, certificateFree: 2, denied: 6, unavailable: 5 });
  });

  it("ranks departments by fulfilment, then p95", async () => {
    const body = await get(`/v1/supervision/ranking?date=${today()}`);
    expect(body.ranking.map((r: any) => [r.rank, r.department, r.previousRank])).toEqual([
      [1, "cc-civil-affairs", null],
      [2, "cc-housing", null],
      [3, "cc-market-regulation", null],
    ]);
  });

  it("the monthly report as CSV parses back to the JSON", async () => {
    const month = today().slice(0, 7);
    const json = await get(`/v1/supervision/reports/monthly?month=${month}`);
    expect(json.totals).toMatchObject({ verifications: 9, certificateFree: 2 });
    const res = await h.call(supervisor, "GET", `/v1/supervision/reports/monthly?month=${month}&format=csv`);
    expect(res.headers.get("content-type")).toMatch(/text\/csv; charset=utf-8/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(fromCsv(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes))).toEqual(json);
  });

  it("no answer holds a person's id, name, subject reference or a case number", async () => {
    const month = today().slice(0, 7);
    const all = [
      await get(`/v1/supervision/departments`),
      await get(`/v1/supervision/windows`),
      await get(`/v1/supervision/ranking`),
      await get(`/v1/supervision/denials`),
      await get(`/v1/supervision/cards`),
      await get(`/v1/supervision/reports/monthly?month=${month}`),
    ];
    const text = JSON.stringify(all) + (await (await h.call(supervisor, "GET", `/v1/supervision/reports/monthly?month=${month}&format=csv`)).text());
    const refs = await Promise.all(people.map((p) => h.deps.secrets.subjectRef({ type: "resident-id", id: p.id })));
    for (const needle of [...people.flatMap((p) => [p.id, p.name]), ...refs, "sr1_", ...cases, "NG-BIZ", DEMO_COMPANY.id]) expect(text).not.toContain(needle);
  });
});

/** Rebuilds the report JSON from its CSV: the test that the CSV carries every figure. */
function fromCsv(text: string): unknown {
  const s = Object.fromEntries(parseSections(text).map((x) => [x.name, x]));
  const num = (v: string) => (v === "" ? null : Number(v));
  const rec = (header: string[], row: string[]) => Object.fromEntries(header.map((k, i) => [k, row[i]!]));
  const mapOf = (r: Record<string, string>, prefix: string) => Object.fromEntries(Object.entries(r).filter(([k, v]) => k.startsWith(prefix) && v !== "0").map(([k, v]) => [k.slice(prefix.length), Number(v)]));
  const service = (r: Record<string, string>) => ({ asked: num(r.asked!), answered: num(r.answered!), unavailable: mapOf(r, "unavailable:"), fulfilment: num(r.fulfilment!), p50Ms: num(r.p50Ms!), p95Ms: num(r.p95Ms!), p99Ms: num(r.p99Ms!) });
  const clerk = (r: Record<string, string>) => ({ verifications: num(r.verifications!), items: num(r.items!), certificateFree: num(r.certificateFree!), denials: mapOf(r, "denials:") });
  const t = rec(s.totals!.header, s.totals!.rows[0]!);
  const adapters = s.adapters!.rows.map((row) => rec(s.adapters!.header, row));
  const operators = s.operators!.rows.map((row) => rec(s.operators!.header, row));
  const cards = rec(s.cards!.header, s.cards!.rows[0]!);
  return {
    month: s.month!.rows[0]![0],
    totals: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Number(v)])),
    departments: s.departments!.rows.map((row) => {
      const r = rec(s.departments!.header, row);
      return {
        department: r.department,
        name: r.name,
        ...service(r),
        breaches: Number(r.breaches),
        adapters: adapters.filter((a) => a.department === r.department).map((a) => ({ adapter: a.adapter, evidenceType: a.evidenceType, ...service(a) })),
      };
    }),
    windows: s.windows!.rows.map((row) => {
      const r = rec(s.windows!.header, row);
      return { window: r.window, ...clerk(r), operators: operators.filter((o) => o.window === r.window).map((o) => ({ operator: o.operator, ...clerk(o) })) };
    }),
    matters: s.matters!.rows.map((row) => {
      const r = rec(s.matters!.header, row);
      return { matter: r.matter, verifications: Number(r.verifications), items: Number(r.items), certificateFree: Number(r.certificateFree) };
    }),
    denials: Object.fromEntries(s.denials!.rows.map(([k, v]) => [k, Number(v)])),
    cards: { opened: Number(cards.opened), closed: Number(cards.closed) },
  };
}

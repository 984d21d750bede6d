/**
 * §5.4 and §8 v1.1: auditors are in the ledger — a search by person, a subject report and an
 * export need a purpose and leave an `audit-access` entry that commits before the answer; the
 * person's own access report lists those accesses as such, with ledger index and leaf hash, and
 * is itself ledgered. And the CSV export opens in a spreadsheet: BOM, a row per evidence item,
 * China Standard Time, day bounds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { desc } from "drizzle-orm";
import { ledgerEntries } from "../src/db/schema.ts";
import { createHarness, type Actor, type Harness } from "./harness.ts";
import { createWorld, DEMO_PEOPLE, HOUSING, zhangSan, type World } from "./world.ts";

// Injected clock: every entry is recorded at `clock`, which tests move. Ahead of the wall clock,
// so the demo department (which checks only that the gateway's token is not stale) accepts it;
// request tokens are signed at `clock` (call()).
let clock = new Date("2030-11-29T15:30:00Z"); // 23:30 CST on 29 Nov
let h: Harness;
let w: World;
let auditor: Actor;
let app: Actor;
const liSi = { type: "resident-id", id: DEMO_PEOPLE.liSi.id };

beforeAll(async () => {
  h = await createHarness({ now: () => clock });
  w = await createWorld(h);
  auditor = await h.addMember("cc-audit-office", "auditor");
  app = await h.addMember("cc-service-app", "consent-collector");
  // 29 Nov (CST): Li Si for housing, two items. 30 Nov (CST): Zhang San.
  await call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "LS-1", subject: liSi });
  clock = new Date("2030-11-29T16:30:00Z"); // 00:30 CST on 30 Nov
  await call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "ZS-1", subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
});
afterAll(async () => {
  await w?.close();
  await h?.close();
});

/** A signed request whose token is issued at the injected clock. */
function call(actor: Actor, method: string, path: string, body?: unknown) {
  const iat = Math.floor(clock.getTime() / 1000);
  return h.call(actor, method, path, body, { claims: { iat, exp: iat + 60 } });
}

const last = async () => (await h.deps.db.select().from(ledgerEntries).orderBy(desc(ledgerEntries.idx)).limit(1))[0]!;

describe("purpose is required", () => {
  it("a search by person, a subject report and an export without purpose answer 400 naming the field", async () => {
    for (const [method, path, body] of [
      ["POST", "/v1/audit/search", { subject: liSi }],
      ["POST", "/v1/audit/subject-report", { subject: liSi }],
      ["GET", "/v1/audit/export?format=csv", undefined],
      ["POST", "/v1/audit/search", { subject: liSi, purpose: "" }],
      ["POST", "/v1/audit/search", { subject: liSi, purpose: "x".repeat(129) }],
    ] as const) {
      const res = await call(auditor, method, path, body);
      expect(res.status, path).toBe(400);
      const problem = (await res.json()) as { type: string; errors: { path: string }[] };
      expect(problem.type).toBe("https://huren.dev/problems/validation-failed");
      expect(problem.errors.map((e) => e.path)).toContain("purpose");
    }
  });

  it("a search without a person needs none and is not ledgered", async () => {
    const before = (await last()).idx;
    expect((await call(auditor, "POST", "/v1/audit/search", { matter: HOUSING })).status).toBe(200);
    expect((await last()).idx).toBe(before);
  });
});

describe("audit-access entries", () => {
  it("a search by person is ledgered: auditor, uid, purpose, the person by reference, the filters — never the raw id", async () => {
    const res = await call(auditor, "POST", "/v1/audit/search", { subject: liSi, purpose: "AUD-2026-031", matter: HOUSING, limit: 10 });
    expect(res.status).toBe(200);
    const row = await last();
    const entry = JSON.parse(row.entryJson);
    expect(entry).toMatchObject({ kind: "audit-access", requester: auditor.id, uid: auditor.uid, purpose: "AUD-2026-031", action: "search", filters: { matter: HOUSING, limit: 10 } });
    expect(entry.subject).toEqual({ type: "resident-id", ref: await h.deps.secrets.subjectRef(liSi) });
    expect(row.entryJson).not.toContain(liSi.id);
    expect(row).toMatchObject({ decision: "audit-access", requester: auditor.id, subjectRef: entry.subject.ref, evidenceTypes: [] });
    expect(row.verificationId).toMatch(/^aa_/);
  });

  it("nothing is answered when the access cannot be ledgered (503)", async () => {
    const writer = h.deps.ledger.writer;
    const append = writer.append.bind(writer);
    writer.append = () => Promise.reject(new Error("disk full"));
    try {
      for (const [method, path, body] of [
        ["POST", "/v1/audit/search", { subject: liSi, purpose: "AUD-1" }],
        ["POST", "/v1/audit/subject-report", { subject: liSi, purpose: "AUD-1" }],
        ["GET", "/v1/audit/export?format=jsonl&purpose=AUD-1", undefined],
        ["POST", "/v1/subjects/access-report", { subject: liSi }],
      ] as const) {
        const res = await call(method === "POST" && path.startsWith("/v1/subjects") ? app : auditor, method, path, body);
        expect(res.status, path).toBe(503);
        const text = await res.text();
        expect(text).toContain("ledger-unavailable");
        expect(text).not.toContain("LS-1");
      }
    } finally {
      writer.append = append;
    }
  });

  it("the auditor's subject report lists auditor accesses as such", async () => {
    const report = (await (await call(auditor, "POST", "/v1/audit/subject-report", { subject: liSi, purpose: "AUD-2026-032" })).json()) as { accesses: any[] };
    expect(report.accesses.map((a) => a.kind)).toEqual(["audit-access", "verification"]);
    expect(report.accesses[0]).toMatchObject({ by: { id: auditor.id, kind: "auditor" }, operator: auditor.uid, action: "search", purpose: "AUD-2026-031" });
    expect(report.accesses[1]).toMatchObject({ case: "LS-1", window: { id: w.window.id } });
  });
});

describe("the person's own access report", () => {
  it("a consent collector gets every access with index and leaf hash, auditors included; the call is ledgered", async () => {
    const res = await call(app, "POST", "/v1/subjects/access-report", { subject: liSi });
    expect(res.status).toBe(200);
    const { accesses } = (await res.json()) as { accesses: any[] };
    expect(accesses.map((a) => [a.kind, a.action ?? a.case])).toEqual([
      ["audit-access", "subject-report"],
      ["audit-access", "search"],
      ["verification", "LS-1"],
    ]);
    for (const a of accesses) {
      const [row] = await h.deps.db.select().from(ledgerEntries).where((await import("drizzle-orm")).eq(ledgerEntries.idx, a.index));
      expect(a.leafHash).toBe(row!.leafHash);
    }
    const row = await last();
    expect(JSON.parse(row.entryJson)).toMatchObject({ kind: "subject-access", requester: app.id, action: "access-report" });
    expect(row.entryJson).not.toContain(liSi.id);
    // The next report lists that one too.
    const again = (await (await call(app, "POST", "/v1/subjects/access-report", { subject: liSi })).json()) as { accesses: any[] };
    expect(again.accesses[0]).toMatchObject({ kind: "subject-access", by: { id: app.id, kind: "consent-collector" } });
  });

  it("only a consent collector may ask", async () => {
    for (const actor of [w.window, auditor, h.admin]) expect((await call(actor, "POST", "/v1/subjects/access-report", { subject: liSi })).status).toBe(403);
  });
});

/** A small RFC 4180 reader: enough to prove the CSV parses back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(cell), (cell = "");
    else if (ch === "\r" && text[i + 1] === "\n") row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    else cell += ch;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

describe("CSV export", () => {
  it("has a BOM, a row per evidence item with status, decision, reason, basis, citation, CST times; day bounds are CST days", async () => {
    const res = await call(auditor, "GET", "/v1/audit/export?format=csv&from=2030-11-29&to=2030-11-29&purpose=AUD-2026-033");
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parseCsv(bytes.subarray(3).toString("utf8"));
    const col = (name: string) => header!.findIndex((h) => h.endsWith(` ${name}`));
    expect(header![col("status")]).toBe("核验状态 status");
    // Only Li Si's verification was on 29 Nov CST (23:30); Zhang San's (00:30 on 30 Nov CST) is not.
    expect(rows.map((r) => r[col("case")])).toEqual(["LS-1", "LS-1"]);
    expect(rows.map((r) => r[col("evidenceType")])).toEqual(["subsistence-allowance.certificate", "housing.no-property-proof"]);
    expect(rows[0]![col("time")]).toBe("2030-11-29T23:30:00.000+08:00");
    expect(rows[0]![col("status")]).toBe("invalid");
    expect(rows[0]![col("decision")]).toBe("permit");
    expect(rows[0]![col("basis")]).toBe("statutory");
    expect(rows[0]![col("citation")]).toContain("《社会救助暂行办法》");
    expect(rows[1]![col("status")]).toBe("not_found");
    expect(bytes.toString("utf8")).not.toContain(liSi.id);

    // Timestamps still work, and the export was ledgered with its purpose and filters.
    const entry = JSON.parse((await last()).entryJson);
    expect(entry).toMatchObject({ kind: "audit-access", action: "export", purpose: "AUD-2026-033", filters: { format: "csv", from: "2030-11-29", to: "2030-11-29" } });
    const next = await call(auditor, "GET", `/v1/audit/export?format=csv&from=${encodeURIComponent("2030-11-30T00:00:00+08:00")}&purpose=AUD-2026-033`);
    const later = parseCsv(Buffer.from(await next.arrayBuffer()).subarray(3).toString("utf8")).slice(1);
    expect(later[0]![col("case")]).toBe("ZS-1");
    expect(later.some((r) => r[col("kind")] === "audit-access" && r[col("purpose")] === "AUD-2026-031")).toBe(true);
  });

  it("a bad date says which forms are accepted", async () => {
    const res = await call(auditor, "GET", "/v1/audit/export?format=csv&from=29.11.2030&purpose=x");
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("YYYY-MM-DD");
  });
});

/**
 * The ledger through its API: two gateway instances appending concurrently still make one
 * gapless, consistent tree; checkpoints verify with the published key; proofs verify with an
 * RFC 9162 verifier; windows get proofs only for their own entries; auditors search.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { asc } from "drizzle-orm";
import { createApp } from "../src/app.ts";
import { assembleDeps } from "../src/entry/assemble.ts";
import { openPostgres } from "../src/db/postgres.ts";
import { createUndiciHttpClient } from "../src/http/undici-client.ts";
import { ledgerEntries } from "../src/db/schema.ts";
import { publishCheckpoint } from "../src/ledger/checkpoints.ts";
import { openNote, parseCheckpoint, parseVerifierKey } from "../src/ledger/note.ts";
import { leafHash, rootFromLeaves, verifyConsistency, verifyInclusion } from "../src/ledger/merkle.ts";
import { createHarness, GATEWAY_ID, signRequest, type Actor, type Harness } from "./harness.ts";
import { createWorld, DEMO_PEOPLE, HOUSING, zhangSan, type World } from "./world.ts";

let h: Harness;
let w: World;
let auditor: Actor;
let second: { app: ReturnType<typeof createApp>; close(): Promise<void> };

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  auditor = await h.addMember("cc-audit-office", "auditor");
  // A second gateway process: its own connection pool on the same database (PostgreSQL), or a
  // second app over the same embedded database (PGlite cannot be shared between processes).
  if (h.databaseUrl) {
    const deps = await assembleDeps({ gatewayId: GATEWAY_ID, database: await openPostgres({ url: h.databaseUrl, max: 5 }), secret: h.secret, http: createUndiciHttpClient(), logger: { info() {}, error() {} } });
    second = { app: createApp(deps), close: () => deps.close() };
  } else {
    second = { app: createApp(h.deps), close: async () => {} };
  }
});
afterAll(async () => {
  await second?.close();
  await w?.close();
  await h?.close();
});

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const verification = (i: number) => ({ matter: HOUSING, case: `MW-${i}`, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });

async function checkpoint() {
  const key = parseVerifierKey((await (await h.app.request("/v1/ledger/key")).text()).trim());
  await h.deps.ledger.checkpoints.tick(); // what the Node entry's scheduler does every 2 s
  const note = await (await h.app.request("/v1/ledger/checkpoint")).text();
  const opened = await openNote(note, [key]);
  return parseCheckpoint(opened.text);
}

describe("one consistent tree from concurrent writers", () => {
  it("two gateway instances, 60 concurrent verifications: indexes gapless, tree matches its leaves, checkpoints consistent", async () => {
    const before = await checkpoint();
    const calls = Array.from({ length: 60 }, async (_, i) => {
      const body = JSON.stringify(verification(i));
      const token = await signRequest(w.window, "POST", "/v1/verifications", body);
      const app = i % 2 === 0 ? h.app : second.app;
      const res = await app.request("/v1/verifications", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body });
      expect(res.status).toBe(200);
      return (await res.json()) as { ledger: { index: number; leafHash: string } };
    });
    const answers = await Promise.all(calls);
    const indexes = answers.map((a) => a.ledger.index).sort((a, b) => a - b);
    expect(new Set(indexes).size).toBe(60);

    const rows = await h.deps.db.select().from(ledgerEntries).orderBy(asc(ledgerEntries.idx));
    rows.forEach((r, i) => {
      expect(r.idx).toBe(i);
      expect(JSON.parse(r.entryJson).index).toBe(i);
      expect(createHash("sha256").update(Buffer.from([0])).update(r.entryJson).digest("base64")).toBe(r.leafHash);
    });
    const after = await checkpoint();
    expect(after.size).toBe(rows.length);
    expect(Buffer.from(after.rootHash).toString("base64")).toBe(Buffer.from(rootFromLeaves(rows.map((r) => b64(r.leafHash)))).toString("base64"));

    // Every receipt's leaf is included in the new checkpoint.
    for (const a of answers.slice(0, 10)) {
      const res = await h.call(auditor, "GET", `/v1/ledger/proofs/inclusion?index=${a.ledger.index}&size=${after.size}`);
      const { hashes } = (await res.json()) as { hashes: string[] };
      expect(verifyInclusion(b64(a.ledger.leafHash), a.ledger.index, after.size, hashes.map(b64), after.rootHash)).toBe(true);
    }
    // And the old checkpoint is a prefix of the new one.
    const res = await h.call(auditor, "GET", `/v1/ledger/proofs/consistency?from=${before.size}&to=${after.size}`);
    const { hashes } = (await res.json()) as { hashes: string[] };
    expect(verifyConsistency(before.size, after.size, hashes.map(b64), before.rootHash, after.rootHash)).toBe(true);
  });

  it("a request token replayed at the other gateway instance is refused there", async () => {
    const body = JSON.stringify(verification(2000));
    const token = await signRequest(w.window, "POST", "/v1/verifications", body);
    const send = (app: typeof h.app) => app.request("/v1/verifications", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body });
    expect((await send(h.app)).status).toBe(200);
    const replay = await send(second.app);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { type: string }).type).toBe("https://huren.dev/problems/replayed");
  });

  it("the checkpoint is a C2SP signed note for <gateway>/ledger, stored once per size", async () => {
    await h.deps.ledger.checkpoints.tick();
    const note = await (await h.app.request("/v1/ledger/checkpoint")).text();
    expect(note.split("\n")[0]).toBe(`${GATEWAY_ID}/ledger`);
    expect(note).toMatch(/\n\n\u2014 huren\.test\/ledger [A-Za-z0-9+/=]+\n$/);
    const a = await publishCheckpoint(h.deps.db, h.deps.ledger.signer);
    const b = await publishCheckpoint(h.deps.db, h.deps.ledger.signer);
    expect(b.note).toBe(a.note);
  });
});

describe("who may read the ledger", () => {
  it("an auditor reads entries; a window gets inclusion proofs only for its own entries", async () => {
    const mine = (await (await h.call(w.window, "POST", "/v1/verifications", verification(1000))).json()) as { ledger: { index: number } };
    const other = await h.addMember("other-window", "window", "220102");
    const theirs = (await (await h.call(other, "POST", "/v1/verifications", verification(1001))).json()) as { ledger: { index: number } };
    const size = theirs.ledger.index + 1;
    expect((await h.call(w.window, "GET", `/v1/ledger/proofs/inclusion?index=${mine.ledger.index}&size=${size}`)).status).toBe(200);
    expect((await h.call(w.window, "GET", `/v1/ledger/proofs/inclusion?index=${theirs.ledger.index}&size=${size}`)).status).toBe(403);
    expect((await h.call(w.window, "GET", `/v1/ledger/entries/${mine.ledger.index}`)).status).toBe(403);
    expect((await h.call(w.window, "POST", "/v1/audit/search", {})).status).toBe(403);
    const entry = (await (await h.call(auditor, "GET", `/v1/ledger/entries/${mine.ledger.index}`)).json()) as any;
    expect(entry.entry).toMatchObject({ index: mine.ledger.index, requester: "nanguan-window-01", case: "MW-1000" });
    // An auditor cannot query certificates.
    expect((await h.call(auditor, "POST", "/v1/verifications", verification(1))).status).toBe(403);
    expect((await h.call(auditor, "GET", `/v1/ledger/proofs/inclusion?index=${size}&size=${size}`)).status).toBe(422);
    expect((await h.call(auditor, "GET", `/v1/ledger/entries/99999999`)).status).toBe(404);
  });
});

describe("auditor API", () => {
  it("searches by person (keyed reference), newest first, with a cursor", async () => {
    const liSi = { type: "resident-id", id: DEMO_PEOPLE.liSi.id };
    for (let i = 0; i < 3; i++) await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: `LS-${i}`, subject: liSi });
    const page1 = (await (await h.call(auditor, "POST", "/v1/audit/search", { subject: liSi, purpose: "AUD-1", limit: 2 })).json()) as any;
    expect(page1.entries.map((e: any) => e.entry.case)).toEqual(["LS-2", "LS-1"]);
    expect(page1.nextCursor).toBeTruthy();
    const page2 = (await (await h.call(auditor, "POST", "/v1/audit/search", { subject: liSi, purpose: "AUD-1", limit: 2, cursor: page1.nextCursor })).json()) as any;
    expect(page2.entries.map((e: any) => e.entry.case)).toEqual(["LS-0"]);
    expect(page2.nextCursor).toBeNull();
    const filtered = (await (await h.call(auditor, "POST", "/v1/audit/search", { requester: "nanguan-window-01", evidenceType: "subsistence-allowance.certificate", decision: "permitted", case: "LS-1" })).json()) as any;
    expect(filtered.entries.map((e: any) => e.entry.case)).toEqual(["LS-1"]);
    const bad = await h.call(auditor, "POST", "/v1/audit/search", { cursor: "garbage" });
    expect(bad.status).toBe(400);
  });

  it("the subject report says who looked, when, why, on which basis, with what outcome", async () => {
    const report = (await (await h.call(auditor, "POST", "/v1/audit/subject-report", { subject: { type: "resident-id", id: DEMO_PEOPLE.liSi.id }, purpose: "AUD-1" })).json()) as any;
    // The three verifications, and the two searches by person above, listed as auditor accesses.
    expect(report.accesses.map((a: any) => a.kind)).toEqual(["audit-access", "audit-access", "verification", "verification", "verification"]);
    expect(report.accesses[0]).toMatchObject({ by: { id: auditor.id, kind: "auditor" }, operator: auditor.uid, action: "search", purpose: "AUD-1" });
    report.accesses.splice(0, 2);
    const [latest] = report.accesses;
    expect(latest).toMatchObject({
      window: { id: "nanguan-window-01", region: "220102" },
      operator: w.window.uid,
      matter: { code: HOUSING, name: "公共租赁住房保障资格申请" },
      case: "LS-2",
    });
    expect(latest.items[0]).toMatchObject({ evidenceType: "subsistence-allowance.certificate", decision: "permit", basis: "statutory", outcome: "invalid" });
    expect(JSON.stringify(report)).not.toContain(DEMO_PEOPLE.liSi.id);
  });

  it("exports JSON Lines and CSV, streamed, oldest first", async () => {
    const res = await h.call(auditor, "GET", "/v1/audit/export?format=jsonl&fromIndex=2&toIndex=5&purpose=AUD-1");
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.index)).toEqual([2, 3, 4]);
    for (const l of lines) {
      const canonical = (await import("../src/ledger/append.ts")).canonicalEntry(l.entry);
      expect(Buffer.from(leafHash(new TextEncoder().encode(canonical))).toString("base64")).toBe(l.leafHash);
    }
    // Response.text() drops a byte order mark, so read the bytes.
    const bytes = Buffer.from(await (await h.call(auditor, "GET", "/v1/audit/export?format=csv&toIndex=3&purpose=AUD-1")).arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString("utf8");
    expect(csv.slice(1).startsWith("序号 index,")).toBe(true);
    expect(csv).not.toContain(zhangSan.id);
  });
});

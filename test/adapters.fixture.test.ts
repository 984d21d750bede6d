/** The `fixture` adapter: inline and file records, name matching, expiry by an injected clock. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureSource, fixtureConfigSchema, normaliseName, MAX_FIXTURE_RECORDS } from "../src/adapters/fixture.ts";
import type { AdapterContext, LookupRequest } from "../src/adapters/types.ts";

const HOUSING = "housing.no-property-proof";
const LICENSE = "business-license.registration";
const ZHANG = { id: "220102199001011239", name: "张三" };
const WANG = { id: "22010419781120345X", name: "王五" };
const COMPANY = { id: "91220102MA17X8Y9Z0", name: "长春市南关区示例商贸有限公司" };

const ctx = (over: Partial<AdapterContext> = {}): AdapterContext => ({
  department: "cc-housing",
  http: { post: () => Promise.reject(new Error("fixture sources must not do HTTP")) },
  signer: { sign: () => Promise.reject(new Error("fixture sources must not sign")) },
  departmentKeys: async () => ({ keys: [] }),
  readFile: (path) => readFile(path, "utf8"),
  ...over,
});

const request = (evidenceType: string, subject: { type?: "resident-id" | "uscc"; id: string; name?: string }): LookupRequest => ({
  requestId: "vf_1#0",
  evidenceType,
  subject: { type: subject.type ?? "resident-id", id: subject.id, name: subject.name },
  fields: [],
  matter: "220100-public-rental-housing",
  requester: "nanguan-window-01",
});

const inline = fixtureConfigSchema.parse({
  records: [
    { subject: { type: "resident-id", id: ZHANG.id }, name: ZHANG.name, status: "valid", certificateId: "WF-1", claims: { ownsProperty: false }, validUntil: "2026-12-31" },
    { subject: { type: "resident-id", id: WANG.id }, name: WANG.name, status: "suspended", claims: {} },
    { subject: { type: "uscc", id: COMPANY.id }, name: COMPANY.name, status: "valid", claims: { legalRepresentative: "某某" }, evidenceType: LICENSE },
  ],
});

describe("fixture adapter, inline records", () => {
  // 2026-11-21 09:30 in Changchun.
  const now = () => new Date("2026-11-21T01:30:00Z");
  const source = createFixtureSource("cc-fixture", inline, ctx(), [HOUSING, LICENSE], { now });

  it("finds a record and matches its name", async () => {
    expect(await source.lookup(request(HOUSING, ZHANG))).toEqual({
      outcome: "found",
      status: "valid",
      certificateId: "WF-1",
      claims: { ownsProperty: false },
      validUntil: "2026-12-31",
      nameMatches: true,
    });
  });

  it("applies records without evidenceType to every type of the adapter, pinned ones to theirs", async () => {
    expect(await source.lookup(request(LICENSE, ZHANG))).toMatchObject({ outcome: "found", status: "valid" });
    expect(await source.lookup(request(LICENSE, { type: "uscc", ...COMPANY }))).toMatchObject({ outcome: "found", nameMatches: true });
    expect(await source.lookup(request(HOUSING, { type: "uscc", ...COMPANY }))).toEqual({ outcome: "not_found" });
  });

  it("answers not_found for unknown subjects, other subject types and other evidence types", async () => {
    expect(await source.lookup(request(HOUSING, { id: "110101200001011234" }))).toEqual({ outcome: "not_found" });
    expect(await source.lookup(request(HOUSING, { type: "uscc", id: ZHANG.id }))).toEqual({ outcome: "not_found" });
    expect(await source.lookup(request("disability.certificate", ZHANG))).toEqual({ outcome: "not_found" });
  });

  it("normalises names (NFKC, white space) and ids (case)", async () => {
    expect(normaliseName(" 张　三 ")).toBe("张三");
    expect(normaliseName("ＡＢＣ Ltd")).toBe("ABCLtd");
    expect(await source.lookup(request(HOUSING, { id: ZHANG.id, name: "张 三" }))).toMatchObject({ nameMatches: true });
    expect(await source.lookup(request(HOUSING, { id: WANG.id.toLowerCase(), name: "王五" }))).toMatchObject({ outcome: "found", status: "suspended", nameMatches: true });
  });

  it("reports a name mismatch, and no name match when no name was sent", async () => {
    expect(await source.lookup(request(HOUSING, { id: ZHANG.id, name: "张四" }))).toMatchObject({ outcome: "found", nameMatches: false });
    const noName = await source.lookup(request(HOUSING, { id: ZHANG.id }));
    expect(noName.outcome === "found" && noName.nameMatches).toBeUndefined();
  });

  it("hands out copies of the claims", async () => {
    const first = await source.lookup(request(HOUSING, ZHANG));
    if (first.outcome === "found") first.claims.ownsProperty = true;
    expect(await source.lookup(request(HOUSING, ZHANG))).toMatchObject({ claims: { ownsProperty: false } });
  });

  it("reports a valid record past its validUntil as expired (date = end of that day, UTC+8)", async () => {
    const at = (iso: string) => createFixtureSource("cc-fixture", inline, ctx(), [HOUSING], { now: () => new Date(iso) });
    expect(await at("2026-12-31T15:59:59Z").lookup(request(HOUSING, ZHANG))).toMatchObject({ status: "valid" });
    expect(await at("2026-12-31T16:00:00Z").lookup(request(HOUSING, ZHANG))).toMatchObject({ status: "expired", validUntil: "2026-12-31" });
    const withTime = fixtureConfigSchema.parse({
      records: [{ subject: { type: "resident-id", id: ZHANG.id }, status: "valid", claims: {}, validUntil: "2026-06-01T00:00:00+08:00" }],
    });
    const src = createFixtureSource("t", withTime, ctx(), [HOUSING], { now: () => new Date("2026-06-01T00:00:01+08:00") });
    expect(await src.lookup(request(HOUSING, ZHANG))).toMatchObject({ status: "expired" });
  });

  it("answers an already aborted lookup with unavailable", async () => {
    expect(await source.lookup(request(HOUSING, ZHANG), AbortSignal.abort())).toMatchObject({ outcome: "unavailable", error: "timeout" });
  });

  it("indexes 100k records and looks them up by key", async () => {
    const records = Array.from({ length: MAX_FIXTURE_RECORDS }, (_, i) => ({
      subject: { type: "resident-id", id: `2201021990${String(i).padStart(8, "0")}` },
      status: "valid",
      claims: { n: i },
    }));
    const config = fixtureConfigSchema.parse({ records });
    const big = createFixtureSource("big", config, ctx(), [HOUSING]);
    // Indexed when created, not scanned per lookup: emptying the list afterwards changes nothing.
    if ("records" in config) config.records.length = 0;
    for (let i = 0; i < 1000; i++) {
      const n = (i * 97) % MAX_FIXTURE_RECORDS;
      expect(await big.lookup(request(HOUSING, { id: `2201021990${String(n).padStart(8, "0")}` }))).toMatchObject({ claims: { n } });
    }
  });
});

describe("fixtureConfigSchema", () => {
  it("accepts records or a file", () => {
    expect(fixtureConfigSchema.safeParse({ file: "/data/housing.json" }).success).toBe(true);
    expect(fixtureConfigSchema.safeParse({ records: [] }).success).toBe(true);
  });

  it.each([
    ["an unknown status", { records: [{ subject: { type: "resident-id", id: "1" }, status: "lost", claims: {} }] }],
    ["an unknown subject type", { records: [{ subject: { type: "passport", id: "1" }, status: "valid", claims: {} }] }],
    ["missing claims", { records: [{ subject: { type: "resident-id", id: "1" }, status: "valid" }] }],
    ["a bad validUntil", { records: [{ subject: { type: "resident-id", id: "1" }, status: "valid", claims: {}, validUntil: "next year" }] }],
    ["records and file together", { records: [], file: "/x.json" }],
    ["an unknown key", { records: [], extra: true }],
    ["more than 100k records", { records: Array.from({ length: MAX_FIXTURE_RECORDS + 1 }, () => ({ subject: { type: "uscc", id: "1" }, status: "valid", claims: {} })) }],
  ])("rejects %s", (_label, config) => {
    expect(fixtureConfigSchema.safeParse(config).success).toBe(false);
  });
});

describe("fixture adapter, file records", () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "huren-fixture-"));
    file = join(dir, "records.json");
    await writeFile(
      file,
      JSON.stringify({
        records: {
          [HOUSING]: [{ subject: { type: "resident-id", id: ZHANG.id }, name: ZHANG.name, status: "valid", claims: { ownsProperty: false } }],
          [LICENSE]: [{ subject: { type: "uscc", id: COMPANY.id }, status: "revoked", certificateId: "YYZZ-9", claims: {} }],
        },
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the file on first lookup and indexes records per evidence type", async () => {
    let reads = 0;
    const source = createFixtureSource("f", fixtureConfigSchema.parse({ file }), ctx({ readFile: (p) => (reads++, readFile(p, "utf8")) }), [HOUSING, LICENSE]);
    expect(reads).toBe(0);
    expect(await source.lookup(request(HOUSING, { id: ZHANG.id, name: "张三" }))).toMatchObject({ outcome: "found", status: "valid", nameMatches: true });
    expect(await source.lookup(request(LICENSE, { type: "uscc", id: COMPANY.id }))).toMatchObject({ outcome: "found", status: "revoked", certificateId: "YYZZ-9" });
    expect(await source.lookup(request(LICENSE, ZHANG))).toEqual({ outcome: "not_found" });
    expect(reads).toBe(1);
  });

  it("answers unavailable (and retries later) when the file cannot be read or parsed", async () => {
    const missing = createFixtureSource("f", { file: join(dir, "missing.json") }, ctx(), [HOUSING]);
    expect(await missing.lookup(request(HOUSING, ZHANG))).toMatchObject({ outcome: "unavailable", error: "adapter-error" });
    const bad = join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ records: { [HOUSING]: [{ subject: { type: "resident-id", id: ZHANG.id }, status: "??", claims: {} }] } }));
    const source = createFixtureSource("f", { file: bad }, ctx(), [HOUSING]);
    const result = await source.lookup(request(HOUSING, ZHANG));
    expect(result).toMatchObject({ outcome: "unavailable", error: "adapter-error" });
    expect(result.outcome === "unavailable" && result.detail).not.toContain(ZHANG.id);
    await writeFile(bad, JSON.stringify({ records: { [HOUSING]: [{ subject: { type: "resident-id", id: ZHANG.id }, status: "valid", claims: {} }] } }));
    expect(await source.lookup(request(HOUSING, ZHANG))).toMatchObject({ outcome: "found" });
  });

  it("answers unavailable where files cannot be read (Workers)", async () => {
    const source = createFixtureSource("f", { file }, ctx({ readFile: undefined }), [HOUSING]);
    expect(await source.lookup(request(HOUSING, ZHANG))).toMatchObject({ outcome: "unavailable", error: "adapter-error" });
  });
});

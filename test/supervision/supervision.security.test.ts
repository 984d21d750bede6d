/**
 * Least privilege (§10, §8): a supervisor reads §10 and nothing of the ledger or the audit
 * routes; no other kind but admin reads §10; only admin writes rules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Actor, type Harness } from "../harness.ts";

const SUPERVISION_GETS = ["/v1/supervision/departments", "/v1/supervision/ranking", "/v1/supervision/windows", "/v1/supervision/denials", "/v1/supervision/cards", "/v1/supervision/rules", "/v1/supervision/reports/monthly?month=2026-11"];

describe("supervision least privilege", () => {
  let h: Harness;
  let supervisor: Actor;
  let others: Actor[];

  beforeAll(async () => {
    h = await createHarness();
    supervisor = await h.addMember("city-supervision", "supervisor");
    others = [await h.addMember("w-1", "window", "220102"), await h.addMember("d-1", "department", "220100"), await h.addMember("aud-1", "auditor"), await h.addMember("cc-1", "consent-collector")];
  });
  afterAll(async () => h?.close());

  it("a supervisor and an admin read §10", async () => {
    for (const actor of [supervisor, h.admin]) for (const path of SUPERVISION_GETS) expect([path, (await h.call(actor, "GET", path)).status]).toEqual([path, 200]);
  });

  it("a supervisor cannot read the ledger's entries, search, report on or export it", async () => {
    const refused = async (method: string, path: string, body?: unknown) => {
      const res = await h.call(supervisor, method, path, body);
      expect([path, res.status]).toEqual([path, 403]);
      expect(((await res.json()) as { type: string }).type).toMatch(/forbidden-for-kind$/);
    };
    await refused("GET", "/v1/ledger/entries/0");
    await refused("POST", "/v1/audit/search", {});
    await refused("POST", "/v1/audit/subject-report", { subject: { type: "resident-id", id: "220102199001011239" } });
    await refused("GET", "/v1/audit/export?format=jsonl");
    await refused("PUT", "/v1/supervision/rules/bulk-lookups", { kind: "bulk-lookups", period: "1d", yellow: 1, red: 2 });
  });

  it("windows, departments, auditors and consent collectors cannot read or act on §10", async () => {
    for (const actor of others) {
      for (const path of SUPERVISION_GETS) expect([actor.kind, path, (await h.call(actor, "GET", path)).status]).toEqual([actor.kind, path, 403]);
      expect((await h.call(actor, "POST", "/v1/supervision/cards/card_x/close", { note: "x" })).status).toBe(403);
    }
  });

  it("bad dates and ranges are 400 problems, not 500s", async () => {
    for (const path of ["/v1/supervision/departments?from=2026-02-30", "/v1/supervision/windows?from=2026-12-01&to=2026-11-01", "/v1/supervision/departments?from=2024-01-01&to=2026-01-01", "/v1/supervision/ranking?date=yesterday", "/v1/supervision/reports/monthly?month=2026-13", "/v1/supervision/cards?state=lost"]) {
      const res = await h.call(supervisor, "GET", path);
      expect([path, res.status, res.headers.get("content-type")]).toEqual([path, 400, "application/problem+json"]);
    }
  });
});

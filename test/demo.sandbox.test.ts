/**
 * The README's table of sandbox subjects: each row, sent with the demo key files `npm start`
 * writes, produces the status the table promises. If this fails, fix the demo data or the table.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadKeyFile, signedFetch } from "../src/cli/client.ts";
import { DEMO_PEOPLE } from "../src/demo/data.ts";
import { startDemoGateway, type DemoGateway } from "./demo-gateway.ts";

let g: DemoGateway;
beforeAll(async () => {
  g = await startDemoGateway();
});
afterAll(async () => {
  await g?.close();
});

const HOUSING = "220100-public-rental-housing";
const DISABILITY = "220100-disability-living-subsidy";
const DIBAO = "subsistence-allowance.certificate";
const person = (p: { id: string; name: string }, name = p.name) => ({ type: "resident-id", id: p.id, name });

// [row, window, matter, subject, evidence type, expected status, expected reason or certStatus]
const ROWS = [
  ["verified", "nanguan-window-01", HOUSING, person(DEMO_PEOPLE.zhangSan), DIBAO, "verified", undefined],
  ["not_found", "nanguan-window-01", HOUSING, person(DEMO_PEOPLE.wangWu), DIBAO, "not_found", undefined],
  ["invalid / revoked", "nanguan-window-01", HOUSING, person(DEMO_PEOPLE.liSi), DIBAO, "invalid", "revoked"],
  ["invalid / expired", "nanguan-window-01", HOUSING, person(DEMO_PEOPLE.zhouBa), DIBAO, "invalid", "expired"],
  ["mismatch", "nanguan-window-01", HOUSING, person(DEMO_PEOPLE.zhangSan, "李四"), DIBAO, "mismatch", undefined],
  ["consent required", "nanguan-window-01", DISABILITY, person(DEMO_PEOPLE.zhaoLiu), "disability.certificate", "denied", "consent-required"],
  ["denied by region", "jilin-window-01", HOUSING, person(DEMO_PEOPLE.zhangSan), "housing.no-property-proof", "denied", "region-not-recognised"],
] as const;

describe("sandbox subjects (README)", () => {
  it("every role has a key file in <dataDir>/demo", async () => {
    for (const member of ["nanguan-window-01", "cc-civil-affairs", "cc-audit-office", "demo-admin", "cc-service-app", "jilin-window-01", "city-supervision"]) {
      const key = await loadKeyFile(join(g.dir, "demo", `${member}.cli.json`));
      expect(key).toMatchObject({ member, gateway: g.url });
    }
  });

  for (const [row, window, matter, subject, type, status, detail] of ROWS) {
    it(`${row}: ${subject.name} for ${type}`, async () => {
      const key = await loadKeyFile(join(g.dir, "demo", `${window}.cli.json`));
      const res = await signedFetch(key, "POST", "/v1/verifications", { matter, case: `SANDBOX-${row}`, subject, evidence: [{ type }] });
      expect(res.status).toBe(200);
      const [result] = (res.body as { results: { status: string; reason?: string; claims?: { certStatus?: string } }[] }).results;
      expect(result!.status).toBe(status);
      if (status === "invalid") expect(result!.claims?.certStatus).toBe(detail);
      else if (detail) expect(result!.reason).toBe(detail);
    });
  }

  it("the README's table lists every row with the person's name", async () => {
    const readme = await readFile("README.md", "utf8");
    for (const [row, window, , subject] of ROWS) expect(readme, row).toMatch(new RegExp(`\\| ${row.replace("/", "\\/")} \\|[^\\n]*${subject.name}[^\\n]*${window}`));
  });
});

/**
 * The CLI for every role, the production build (dist/cli.js) run as a child process against a real gateway on 127.0.0.1 with the
 * demo's key files: admin apply/diff/lists, department adapters, auditor audit (person ids from
 * stdin or a file, never argv), one-line errors with their exit codes, and EPIPE into `head`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { desc } from "drizzle-orm";
import { ledgerEntries } from "../src/db/schema.ts";
import { DEMO_PEOPLE } from "../src/demo/data.ts";
import { putMember } from "../src/members/members.ts";
import { loadKeyFile, signedFetch } from "../src/cli/client.ts";
import { huren, HUREN_CLI, startDemoGateway, type DemoGateway } from "./demo-gateway.ts";

let g: DemoGateway;
const key = (member: string) => join(g.dir, "demo", `${member}.cli.json`);
const ADMIN = () => ["--key", key("demo-admin")];
const DEPT = () => ["--key", key("cc-civil-affairs")];
const AUDITOR = () => ["--key", key("cc-audit-office")];
const T = { timeout: 180_000 };

beforeAll(async () => {
  g = await startDemoGateway();
});
afterAll(async () => {
  await g?.close();
});

describe("admin", () => {
  it("diff shows what apply would change (exit 4); apply makes it so; a second apply changes nothing", T, async () => {
    const file = join(g.dir, "huren.json");
    await writeFile(
      file,
      JSON.stringify({
        members: [{ id: "nanguan-window-02", kind: "window", name: "南关区政务服务中心 一窗受理 02", region: "220102", jwks: { keys: [] }, enabled: true }],
        matters: [{ code: "220100-public-rental-housing", name: "公共租赁住房保障资格申请（调整）", region: "220100", requirements: [{ evidenceType: "housing.no-property-proof", exempt: true }] }],
      }),
    );
    const diff = await huren(["diff", "-f", file, ...ADMIN(), "--json"]);
    expect(diff.code, diff.stderr).toBe(4);
    expect(JSON.parse(diff.stdout)).toEqual([
      { resource: "member", id: "nanguan-window-02", change: "create", fields: [] },
      expect.objectContaining({ resource: "matter", id: "220100-public-rental-housing", change: "update", fields: expect.arrayContaining(["name"]) }),
    ]);
    const apply = await huren(["apply", "-f", file, ...ADMIN()]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/2 changed, 0 unchanged/);
    const again = await huren(["apply", "-f", file, ...ADMIN()]);
    expect(again.stdout).toMatch(/0 changed, 2 unchanged/);
    const clean = await huren(["diff", "-f", file, ...ADMIN()]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^=\s+member\s+nanguan-window-02/m);
  });

  it("members, matters and policies list as tables, or JSON", T, async () => {
    const members = await huren(["members", "list", ...ADMIN()]);
    expect(members.code, members.stderr).toBe(0);
    expect(members.stdout.split("\n")[0]).toMatch(/^id\s+kind\s+name\s+region\s+enabled\s+keys\s+grants$/);
    // A department's grants (PROTOCOL §4): what it issues @ where its adapters may connect.
    expect(members.stdout).toMatch(/^cc-civil-affairs\s+department\s.*subsistence-allowance\.certificate @ 127\.0\.0\.1$/m);
    expect(members.stdout).toMatch(/^cc-audit-office\s+auditor\s+长春市政务服务监督审计处/m);
    const matters = JSON.parse((await huren(["matters", "list", ...ADMIN(), "--json"])).stdout) as { code: string }[];
    expect(matters.map((m) => m.code)).toContain("220100-disability-living-subsidy");
    const policies = await huren(["policies", "list", ...ADMIN()]);
    expect(policies.stdout).toMatch(/^dibao\s+1\s+subsistence-allowance\.certificate/m);
  });
});

describe("department", () => {
  it("registers, checks, disables, enables and shows its adapters", T, async () => {
    const file = join(g.dir, "adapter.json");
    await writeFile(file, JSON.stringify({ id: "cc-civil-affairs-dibao-2", department: "cc-civil-affairs", kind: "fixture", evidenceTypes: ["subsistence-allowance.certificate"], enabled: false, config: { records: [{ subject: { type: "resident-id", id: DEMO_PEOPLE.zhangSan.id }, name: "张三", status: "valid", certificateId: "X-1", claims: { householdSize: 3, validUntil: "2027-06-30" } }] } }));
    const reg = await huren(["adapters", "register", "-f", file, ...DEPT()]);
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.stdout).toMatch(/registered adapter cc-civil-affairs-dibao-2 \(version 1, disabled\)/);
    const check = await huren(["adapters", "check", "cc-civil-affairs-dibao-2", ...DEPT(), "--json"]);
    expect(JSON.parse(check.stdout).ok).toBe(true);
    expect(check.code).toBe(0);
    // Enabling it would make two adapters answer for 低保 in one region: the gateway's 409, in one line.
    const clash = await huren(["adapters", "enable", "cc-civil-affairs-dibao-2", ...DEPT()]);
    expect(clash.code).toBe(1);
    expect(clash.stderr.trim().split("\n")).toHaveLength(1);
    expect(clash.stderr).toMatch(/^huren: Adapter conflict: .*\(HTTP 409 conflict\)$/m);
    const off = await huren(["adapters", "disable", "cc-civil-affairs-http", ...DEPT()]);
    expect(off.stdout).toMatch(/adapter cc-civil-affairs-http disabled \(version 2\)/);
    const on = await huren(["adapters", "enable", "cc-civil-affairs-dibao-2", ...DEPT()]);
    expect(on.code, on.stderr).toBe(0);
    // The sealed fixture records were kept through enable (sent back as "(sealed)"): it answers.
    const window = await loadKeyFile(key("nanguan-window-01"));
    const res = await signedFetch(window, "POST", "/v1/verifications", { matter: "220100-public-rental-housing", case: "CLI-1", subject: { type: "resident-id", id: DEMO_PEOPLE.zhangSan.id }, evidence: [{ type: "subsistence-allowance.certificate" }] });
    expect((res.body as { results: unknown[] }).results[0]).toMatchObject({ status: "verified", source: "cc-civil-affairs-dibao-2" });
    const status = await huren(["adapters", "status", ...DEPT()]);
    expect(status.stdout).toMatch(/^cc-civil-affairs-dibao-2\s+cc-civil-affairs\s+fixture\s+subsistence-allowance\.certificate\s+enabled\s+2/m);
    expect(status.stdout).toMatch(/^cc-civil-affairs-http\s+.*disabled/m);
    // A department sees only its own.
    expect(status.stdout).not.toMatch(/cc-housing-fixture/);
  });
});

describe("auditor", () => {
  it("searches by a person read from stdin, reports from a subject file, exports CSV; each access ledgered with its purpose", T, async () => {
    const search = await huren(["audit", "search", "--person", "--purpose", "AUD-2026-077", ...AUDITOR(), "--json"], `resident-id:${DEMO_PEOPLE.zhangSan.id}\n`);
    expect(search.code, search.stderr).toBe(0);
    expect(JSON.parse(search.stdout)).toHaveProperty("entries");
    const [row] = await g.h.deps.db.select().from(ledgerEntries).orderBy(desc(ledgerEntries.idx)).limit(1);
    expect(JSON.parse(row!.entryJson)).toMatchObject({ kind: "audit-access", requester: "cc-audit-office", uid: "audit-staff-07", purpose: "AUD-2026-077" });

    const subjectFile = join(g.dir, "person.txt");
    await writeFile(subjectFile, `resident-id:${DEMO_PEOPLE.zhangSan.id}\n`);
    const report = await huren(["audit", "subject-report", "--subject-file", subjectFile, "--purpose", "AUD-2026-077", ...AUDITOR()]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/^time \(CST\)\s+kind\s+who/);
    expect(report.stdout).toMatch(/audit-access\s+长春市政务服务监督审计处\s+audit-staff-07\s+search\s+AUD-2026-077/);
    expect(report.stdout).not.toContain(DEMO_PEOPLE.zhangSan.id);

    const out = join(g.dir, "export.csv");
    const exp = await huren(["audit", "export", "--purpose", "AUD-2026-077", "--from", "2020-01-01", "--out", out, ...AUDITOR()]);
    expect(exp.code, exp.stderr).toBe(0);
    const bytes = await (await import("node:fs/promises")).readFile(out);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString("utf8")).toMatch(/audit-access,aa_[^,]*,cc-audit-office,audit-staff-07/);
  });

  it("needs a purpose and a person, and refuses a person id on argv (usage, exit 2)", T, async () => {
    const noPurpose = await huren(["audit", "subject-report", ...AUDITOR()], `${DEMO_PEOPLE.zhangSan.id}\n`);
    expect(noPurpose.code).toBe(2);
    expect(noPurpose.stderr).toMatch(/^huren: --purpose REF is required/);
    const argv = await huren(["audit", "search", "--subject", DEMO_PEOPLE.zhangSan.id, "--purpose", "x", ...AUDITOR()]);
    expect(argv.code).toBe(2);
    expect(argv.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("errors and pipes", () => {
  it("a refusal is one line with the problem's title and detail (exit 1); no gateway is exit 3", T, async () => {
    const forbidden = await huren(["audit", "search", "--purpose", "x", "--key", key("nanguan-window-01")]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/^huren: Forbidden for this kind of member: a window may not POST \/v1\/audit\/search \(HTTP 403 forbidden-for-kind\)\n$/);
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const down = await huren(["members", "list", ...ADMIN(), "--gateway", `http://127.0.0.1:${closed}`]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^huren: cannot reach the gateway \(ECONNREFUSED\)\n$/);
    const missing = await huren(["members", "list", "--key", join(g.dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such key file/);
  });

  it("piping into head exits quietly (EPIPE): no stack trace", T, async () => {
    // Enough members that the JSON outgrows the pipe's buffer, so the write after head exits fails.
    for (let i = 0; i < 300; i++) await putMember(g.h.deps.db, `pipe-window-${String(i).padStart(3, "0")}`, { kind: "window", name: `窗口 ${i} ${"x".repeat(200)}`, region: "220102", jwks: { keys: [] }, enabled: true });
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
      execFile("sh", ["-c", `"${HUREN_CLI[0]}" ${HUREN_CLI[1]} members list --json --key "${key("demo-admin")}" | head -n 2`], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ stdout, stderr, code: err ? 1 : 0 }),
      );
    });
    expect(code).toBe(0);
    expect(stdout.split("\n").length).toBeLessThanOrEqual(3);
    expect(stderr).toBe("");
  });
});

/**
 * `huren check`, run as a department would run it — the real CLI in a child process — against
 * a real department server on 127.0.0.1 and a real front database, before any registration.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, type JSONWebKeySet } from "jose";
import { startDepartmentServer, type RunningDepartment } from "../src/demo/department-server.ts";
import { CIVIL_AFFAIRS_RECORDS, DEMO_PEOPLE } from "../src/demo/data.ts";
import { createFrontDb, DIBAO_CONFIG, type FrontDb } from "./front-db.ts";

const GATEWAY_ID = "huren.cli-test";
const DEPT = "cc-civil-affairs";
const TYPE = "subsistence-allowance.certificate";
let dir: string;
let dept: RunningDepartment;
let front: FrontDb;
const files = { gatewayKey: "", deptJwks: "", sqlAdapter: "", brokenAdapter: "" };

/** Runs `huren check …`; resolves with the exit code and output (never rejects). */
function huren(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli/main.ts", "check", ...args], { timeout: 30_000, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "huren-check-"));
  // The key the department's test server trusts as the gateway's, and the department's own.
  const gateway = await generateKeyPair("EdDSA", { extractable: true });
  const gatewayJwk = { ...(await exportJWK(gateway.privateKey)), kid: "gw-test" };
  const { d: _d, ...gatewayPublic } = gatewayJwk;
  const deptKey = await generateKeyPair("EdDSA");
  files.gatewayKey = join(dir, "gateway-key.json");
  files.deptJwks = join(dir, "dept-jwks.json");
  await writeFile(files.gatewayKey, JSON.stringify({ jwk: gatewayJwk }));
  await writeFile(files.deptJwks, JSON.stringify({ keys: [{ ...(await exportJWK(deptKey.publicKey)), kid: "dept-1" }] }));
  dept = await startDepartmentServer({
    department: DEPT,
    gatewayId: GATEWAY_ID,
    gatewayKeys: async () => ({ keys: [gatewayPublic] }) as JSONWebKeySet,
    records: CIVIL_AFFAIRS_RECORDS,
    signWith: { kid: "dept-1", privateKey: deptKey.privateKey },
  });

  front = await createFrontDb([{ idNo: DEMO_PEOPLE.zhangSan.id, name: "张三", status: "1", certNo: "NG-1", validUntil: "2099-01-01", householdSize: 3, monthlyAmount: "10.00", category: "urban" }]);
  const sqlBody = (query: string) => ({
    id: "nanguan-dibao-sql",
    department: "nanguan-civil-affairs",
    kind: "sql",
    evidenceTypes: [TYPE],
    config: { connectionString: front.readerUrl, ...DIBAO_CONFIG, query, probe: { subject: { type: "resident-id", id: DEMO_PEOPLE.zhangSan.id } } },
  });
  files.sqlAdapter = join(dir, "sql-adapter.json");
  files.brokenAdapter = join(dir, "broken-adapter.json");
  await writeFile(files.sqlAdapter, JSON.stringify(sqlBody(DIBAO_CONFIG.query)));
  await writeFile(files.brokenAdapter, JSON.stringify({ ...sqlBody(DIBAO_CONFIG.query), config: { ...sqlBody(DIBAO_CONFIG.query).config, claims: { householdCount: "household_size" } } }));
});
afterAll(async () => {
  await dept?.close();
  await front?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const httpArgs = () => ["--endpoint", dept.url, "--department", DEPT, "--evidence-type", TYPE, "--gateway-id", GATEWAY_ID];

describe("huren check", () => {
  it("passes a conforming http department, step by step, and exits 0", async () => {
    const { code, out } = await huren([...httpArgs(), "--answer-signature", "required", "--department-jwks", files.deptJwks, "--signing-key", files.gatewayKey, "--subject", `resident-id:${DEMO_PEOPLE.zhangSan.id}`, "--name", "张三"]);
    expect(out).toMatch(/✓ config +valid http config for subsistence-allowance\.certificate/);
    expect(out).toMatch(/✓ reachability +the department answered/);
    expect(out).toMatch(/✓ probe +lookup of the configured test subject .*found \(status valid\)/);
    expect(out).toMatch(/✓ schema +claims fit/);
    expect(out).toMatch(/✓ signature +answer signed \(EdDSA, kid dept-1\)/);
    expect(out).toMatch(/^PASS/m);
    expect(out).not.toContain(DEMO_PEOPLE.zhangSan.id);
    expect(code).toBe(0);
  });

  it("fails where the department refuses the gateway's token, says why, and exits 1", async () => {
    const { code, out } = await huren(httpArgs());
    expect(out).toMatch(/✓ reachability/);
    expect(out).toMatch(/✗ probe .*HTTP 401/);
    expect(out).toMatch(/note: requests were signed with a throwaway key/);
    expect(out).toMatch(/^FAIL/m);
    expect(code).toBe(1);
  });

  it("fails at reachability when nothing listens", async () => {
    const { code, out } = await huren(["--endpoint", "http://127.0.0.1:9/lookup", "--department", DEPT, "--evidence-type", TYPE, "--timeout-ms", "500"]);
    expect(out).toMatch(/✗ reachability +\[unreachable\] network/);
    expect(out).toMatch(/– probe +not reached/);
    expect(code).toBe(1);
  });

  it("checks an sql adapter body against the front database before it is registered", async () => {
    const { code, out } = await huren(["--adapter", files.sqlAdapter]);
    expect(out).toMatch(/✓ reachability +read-only transaction on/);
    expect(out).toMatch(/✓ probe .*found \(status valid\)/);
    expect(out).toMatch(/– signature +sql adapters carry no answer signature/);
    expect(out).not.toContain(new URL(front.readerUrl).password);
    expect(code).toBe(0);

    const broken = await huren(["--adapter", files.brokenAdapter, "--json"]);
    const report = JSON.parse(broken.out.slice(broken.out.indexOf("{")));
    expect(report.ok).toBe(false);
    expect(report.steps[0]).toMatchObject({ step: "config", status: "fail", detail: expect.stringMatching(/config\.claims\.householdCount/) });
    expect(broken.code).toBe(1);
  });
});

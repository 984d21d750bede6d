/**
 * The example server in docs/departments.md is real: this runs the code block as written, as a
 * department would, and puts it through the conformance check (the `huren check` code).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair } from "jose";
import { checkCommand } from "../src/cli/check.ts";

const GATEWAY_ID = "huren.docs-test";
// Inside node_modules so the example's `import "jose"` resolves as it would after `npm i jose`.
const dir = join(process.cwd(), "node_modules", ".cache", `huren-docs-${process.pid}`);
let jwksServer: Server;
let example: ChildProcess;
let port: number;
let jwksFetches = 0;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

beforeAll(async () => {
  const doc = await readFile("docs/departments.md", "utf8");
  const block = /<!-- example-server[^>]*-->\s*```js\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(block, "docs/departments.md has the example server block").toBeTruthy();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "lookup-server.mjs"), block!);

  const gateway = await generateKeyPair("EdDSA", { extractable: true });
  const jwk = { ...(await exportJWK(gateway.privateKey)), kid: "gw-docs" };
  const { d: _d, ...pub } = jwk;
  await writeFile(join(dir, "gateway-key.json"), JSON.stringify({ jwk }));
  // The department's own key, in `huren keygen`'s shape: its answers are signed with it.
  const dept = await generateKeyPair("EdDSA", { extractable: true });
  const deptJwk = { ...(await exportJWK(dept.privateKey)), kid: "dept-docs" };
  const { d: _dd, ...deptPublic } = deptJwk;
  await writeFile(join(dir, "department-key.json"), JSON.stringify({ member: "cc-civil-affairs", jwk: deptJwk, publicJwk: deptPublic }));
  await writeFile(join(dir, "department-jwks.json"), JSON.stringify({ keys: [deptPublic] }));
  jwksServer = createServer((_req, res) => {
    jwksFetches++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [pub] }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", r));

  port = await freePort();
  example = spawn(process.execPath, [join(dir, "lookup-server.mjs")], {
    // The local test key, as the doc says (the JWKS server below is there to show it is not asked).
    env: { ...process.env, PORT: String(port), HUREN_GATEWAY_ID: GATEWAY_ID, DEPARTMENT_ID: "cc-civil-affairs", DEPARTMENT_KEY: join(dir, "department-key.json"), HUREN_TEST_KEY: join(dir, "gateway-key.json"), HUREN_JWKS_URL: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks` },
    stdio: "ignore",
  });
  // Up when it accepts connections.
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/`, { method: "POST" }).then(() => true, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
});
afterAll(async () => {
  example?.kill();
  jwksServer?.close();
  await rm(dir, { recursive: true, force: true });
});

const args = (extra: string[]) => ["--endpoint", `http://127.0.0.1:${port}/huren/lookup`, "--department", "cc-civil-affairs", "--evidence-type", "subsistence-allowance.certificate", "--gateway-id", GATEWAY_ID, "--department-jwks", join(dir, "department-jwks.json"), ...extra];

describe("the example server in docs/departments.md", () => {
  it("passes the conformance check for its test record", async () => {
    const lines: string[] = [];
    const ok = await checkCommand(args(["--signing-key", join(dir, "gateway-key.json"), "--subject", "resident-id:220102199001011239", "--name", "张 三"]), (l) => lines.push(l));
    expect(lines.join("\n")).toMatch(/✓ probe .*found \(status valid\)/);
    expect(lines.join("\n")).toMatch(/✓ schema +claims fit subsistence-allowance\.certificate \(householdSize, validUntil\)/);
    expect(ok).toBe(true);
  });

  it("answers not found for anyone else (unproven without a test subject), and refuses a token the gateway did not sign", async () => {
    const lines: string[] = [];
    expect(await checkCommand(args(["--signing-key", join(dir, "gateway-key.json")]), (l) => lines.push(l))).toBe(false);
    expect(lines.join("\n")).toMatch(/– probe +unproven: a synthetic test subject .*not found/);
    expect(lines.join("\n")).toMatch(/^UNPROVEN/m);
    const refused: string[] = [];
    expect(await checkCommand(args([]), (l) => refused.push(l))).toBe(false);
    expect(refused.join("\n")).toMatch(/✗ probe .*HTTP 401/);
  });

  it("trusts the local test key without fetching any JWKS, and listens on loopback only", async () => {
    expect(jwksFetches).toBe(0);
    const outside = Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal);
    if (outside) {
      const reached = await fetch(`http://${outside.address}:${port}/huren/lookup`, { method: "POST", signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
      expect(reached).toBe(false);
    }
  });
});

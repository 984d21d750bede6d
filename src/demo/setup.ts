/**
 * The demo a newcomer gets from `npm start` without a bootstrap file: a window, five
 * departments (one a real HTTP server on loopback, four fixture-backed), matters and policies,
 * and a CLI key file for every role (`<dataDir>/demo/<member>.cli.json`: window, department,
 * auditor, admin, consent collector, and a window in another city whose look-ups Changchun's
 * certificates are not recognised for). Keys are generated into the data directory, never the repo.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import type { GatewayKeys } from "../keys/gateway-keys.ts";
import { applyBootstrap, type BootstrapFile } from "../bootstrap.ts";
import { CIVIL_AFFAIRS_RECORDS, DEMO_PEOPLE, FIXTURE_RECORDS } from "./data.ts";
import { startDepartmentServer, type RunningDepartment } from "./department-server.ts";
import { DEMO_MATTERS, DEMO_POLICIES } from "./catalog.ts";

export const DEMO_WINDOW = "nanguan-window-01";
export const DEMO_ADMIN = "demo-admin";
export const DEMO_SUPERVISOR = "city-supervision";
export const DEMO_AUDITOR = "cc-audit-office";
export const DEMO_COLLECTOR = "cc-service-app";
/** A window in Jilin city (another prefecture): Changchun's certificates are not recognised there. */
export const DEMO_OTHER_WINDOW = "jilin-window-01";
export const DEMO_DEPARTMENT = "cc-civil-affairs";
const CIVIL_AFFAIRS = DEMO_DEPARTMENT;

interface StoredKey {
  jwk: JWK;
}

/** Loads a private key from the demo folder, creating it on first start. */
async function demoKey(dir: string, name: string): Promise<{ jwk: JWK; publicJwk: JWK; kid: string; privateKey: CryptoKey }> {
  const file = join(dir, `${name}.key.json`);
  let jwk: JWK;
  try {
    jwk = ((JSON.parse(await readFile(file, "utf8")) as StoredKey).jwk);
  } catch {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    jwk = await exportJWK(privateKey);
    jwk.kid = (await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! })).slice(0, 16);
    await writeFile(file, JSON.stringify({ jwk }, null, 2), { mode: 0o600 });
  }
  const { d: _d, ...publicJwk } = jwk;
  return { jwk, publicJwk, kid: jwk.kid!, privateKey: (await importJWK(jwk, "EdDSA")) as CryptoKey };
}

export interface DemoHandle {
  /** Key file for `huren verify --key`. */
  windowKeyFile: string;
  adminKeyFile: string;
  /** Key file for `huren supervision … --key` (§10). */
  supervisorKeyFile: string;
  /** Every role's key file, by member id. */
  keyFiles: Record<string, string>;
  department: RunningDepartment;
  close(): Promise<void>;
}

/**
 * @example
 * const demo = await startDemo({ db, secrets, keys, gatewayId, gatewayUrl: "http://127.0.0.1:8787", dataDir: ".huren" });
 */
export async function startDemo(o: { db: Db; secrets: Secrets; keys: GatewayKeys; gatewayId: string; gatewayUrl: string; dataDir: string; departmentPort?: number }): Promise<DemoHandle> {
  const dir = join(o.dataDir, "demo");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const windowKey = await demoKey(dir, DEMO_WINDOW);
  const adminKey = await demoKey(dir, DEMO_ADMIN);
  const supervisorKey = await demoKey(dir, DEMO_SUPERVISOR);
  const deptKey = await demoKey(dir, CIVIL_AFFAIRS);
  const auditorKey = await demoKey(dir, DEMO_AUDITOR);
  const collectorKey = await demoKey(dir, DEMO_COLLECTOR);
  const otherWindowKey = await demoKey(dir, DEMO_OTHER_WINDOW);

  const start = (port: number) =>
    startDepartmentServer({
      department: CIVIL_AFFAIRS,
      gatewayId: o.gatewayId,
      gatewayKeys: () => o.keys.jwks() as never,
      records: CIVIL_AFFAIRS_RECORDS,
      signWith: { kid: deptKey.kid, privateKey: deptKey.privateKey },
      unavailableFor: [DEMO_PEOPLE.sunQi.id],
      port,
    });
  // A fixed port keeps the adapter config (and so its version) stable across restarts.
  const department = await start(o.departmentPort ?? 0).catch(() => start(0));

  // Each department is granted what it issues (PROTOCOL §4); only civil affairs runs a server, on loopback.
  const dept = (id: string, name: string, evidenceType: string, hosts: string[] = []) => ({
    id,
    kind: "department",
    name,
    region: "220100",
    jwks: { keys: [] as JWK[] },
    enabled: true,
    grants: { evidenceTypes: [evidenceType], hosts },
  });
  const fixture = (id: string, department: string, type: string) => ({
    id,
    department,
    kind: "fixture",
    evidenceTypes: [type],
    config: { records: FIXTURE_RECORDS[type]!.map((r) => ({ subject: r.subject, name: r.name, status: r.status, certificateId: r.certificateId, claims: r.claims, ...(r.validUntil ? { validUntil: r.validUntil } : {}) })) },
    enabled: true,
  });
  const seed: BootstrapFile = {
    members: [
      { id: DEMO_ADMIN, kind: "admin", name: "Demo administrator", jwks: { keys: [adminKey.publicJwk] }, enabled: true },
      { id: DEMO_SUPERVISOR, kind: "supervisor", name: "长春市政务服务电子监察室", jwks: { keys: [supervisorKey.publicJwk] }, enabled: true },
      { id: DEMO_WINDOW, kind: "window", name: "南关区政务服务中心 一窗受理 01", region: "220102", jwks: { keys: [windowKey.publicJwk] }, enabled: true },
      { ...dept(CIVIL_AFFAIRS, "长春市民政局", "subsistence-allowance.certificate", [new URL(department.url).hostname]), jwks: { keys: [deptKey.publicJwk] } },
      { id: DEMO_AUDITOR, kind: "auditor", name: "长春市政务服务监督审计处", region: "220100", jwks: { keys: [auditorKey.publicJwk] }, enabled: true },
      { id: DEMO_COLLECTOR, kind: "consent-collector", name: "长春市民服务 app", region: "220100", jwks: { keys: [collectorKey.publicJwk] }, enabled: true },
      { id: DEMO_OTHER_WINDOW, kind: "window", name: "吉林市船营区政务服务中心 01", region: "220204", jwks: { keys: [otherWindowKey.publicJwk] }, enabled: true },
      dept("cc-housing", "长春市住房保障和房屋管理局", "housing.no-property-proof"),
      dept("cc-market-regulation", "长春市市场监督管理局", "business-license.registration"),
      dept("cc-hrss", "长春市人力资源和社会保障局", "social-insurance.record"),
      dept("cc-disabled-federation", "长春市残疾人联合会", "disability.certificate"),
    ],
    matters: DEMO_MATTERS,
    policies: DEMO_POLICIES,
    adapters: [
      { id: "cc-civil-affairs-http", department: CIVIL_AFFAIRS, kind: "http", evidenceTypes: ["subsistence-allowance.certificate"], config: { endpoint: department.url, timeoutMs: 3000, maxBodyBytes: 65536, answerSignature: "required" }, enabled: true },
      fixture("cc-housing-fixture", "cc-housing", "housing.no-property-proof"),
      fixture("cc-market-fixture", "cc-market-regulation", "business-license.registration"),
      fixture("cc-hrss-fixture", "cc-hrss", "social-insurance.record"),
      fixture("cc-cdpf-fixture", "cc-disabled-federation", "disability.certificate"),
    ],
  };
  await applyBootstrap(o.db, o.secrets, seed);

  const keyFile = async (member: string, key: { jwk: JWK }, uid: string | undefined) => {
    const file = join(dir, `${member}.cli.json`);
    await writeFile(file, JSON.stringify({ gateway: o.gatewayUrl, gatewayId: o.gatewayId, member, uid, jwk: key.jwk }, null, 2), { mode: 0o600 });
    return file;
  };
  // The department's key signs its answers and its own requests (huren adapters …) alike.
  const keyFiles: Record<string, string> = {
    [DEMO_WINDOW]: await keyFile(DEMO_WINDOW, windowKey, "clerk-0042"),
    [DEMO_ADMIN]: await keyFile(DEMO_ADMIN, adminKey, undefined),
    [CIVIL_AFFAIRS]: await keyFile(CIVIL_AFFAIRS, deptKey, undefined),
    [DEMO_AUDITOR]: await keyFile(DEMO_AUDITOR, auditorKey, "audit-staff-07"),
    [DEMO_COLLECTOR]: await keyFile(DEMO_COLLECTOR, collectorKey, undefined),
    [DEMO_OTHER_WINDOW]: await keyFile(DEMO_OTHER_WINDOW, otherWindowKey, "clerk-0007"),
    [DEMO_SUPERVISOR]: await keyFile(DEMO_SUPERVISOR, supervisorKey, "sup-01"),
  };
  return {
    windowKeyFile: keyFiles[DEMO_WINDOW]!,
    adminKeyFile: keyFiles[DEMO_ADMIN]!,
    supervisorKeyFile: keyFiles[DEMO_SUPERVISOR]!,
    keyFiles,
    department,
    close: () => department.close(),
  };
}

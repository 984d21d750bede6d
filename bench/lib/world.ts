/**
 * The benchmark's world: keys, the gateway's bootstrap file (members, matters, policies,
 * adapters), the department process's config, the fixture file, and fresh databases. Nothing
 * here touches the network except PostgreSQL on 127.0.0.1.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import type { DepartmentConfig, DepartmentSpec } from "../department.ts";
import type { Company, Person } from "./data.ts";

export const GATEWAY_ID = "huren.bench.localhost";
export const WINDOW_ID = "nanguan-window-01";
export const WINDOW_UID = "clerk-0042";
export const HOUSING_MATTER = "220100-public-rental-housing";
export const BUSINESS_MATTER = "220100-business-permit";

export interface KeyPair {
  kid: string;
  privateJwk: JWK & { kid: string };
  publicJwk: JWK & { kid: string };
}

export async function newKeyPair(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = (await calculateJwkThumbprint(pub)).slice(0, 16);
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid }, publicJwk: { ...pub, kid } };
}

/** The http departments: three registries served by one department process, one path each. */
export const HTTP_DEPARTMENTS = [
  { id: "cc-civil-affairs", name: "长春市民政局", path: "/civil-affairs/lookup", evidenceType: "subsistence-allowance.certificate", fields: ["validUntil", "householdSize"] },
  { id: "cc-housing", name: "长春市住房保障和房屋管理局", path: "/housing/lookup", evidenceType: "housing.no-property-proof", fields: ["propertyCount", "asOf"] },
  { id: "cc-hrss", name: "长春市人力资源和社会保障局", path: "/hrss/lookup", evidenceType: "social-insurance.record", fields: ["contributionMonths"] },
] as const;
export const FIXTURE_TYPE = "business-license.registration";

export interface World {
  gateway: KeyPair;
  window: KeyPair;
  admin: KeyPair;
  departmentKeys: Record<string, KeyPair>;
  bootstrapPath: string;
  fixturePath: string;
  department(port: number, databaseUrl: string): DepartmentConfig;
  /** Writes the bootstrap file for a department listening on `port`. */
  writeBootstrap(port: number): Promise<void>;
}

/**
 * @example
 * const world = await makeWorld(tmpDir, companies);
 * await world.writeBootstrap(deptPort);
 */
export async function makeWorld(dir: string, companies: Company[]): Promise<World> {
  const gateway = await newKeyPair();
  const window = await newKeyPair();
  const admin = await newKeyPair();
  const departmentKeys: Record<string, KeyPair> = {};
  for (const d of HTTP_DEPARTMENTS) departmentKeys[d.id] = await newKeyPair();

  const fixturePath = join(dir, "market-regulation.json");
  await writeFile(
    fixturePath,
    JSON.stringify({
      records: {
        [FIXTURE_TYPE]: companies.map((c) => ({
          subject: { type: "uscc", id: c.id },
          name: c.name,
          status: "valid",
          certificateId: c.id,
          claims: { companyName: c.name, legalRepresentative: c.legalRepresentative, registeredCapital: "100万元人民币", establishedOn: "2019-04-12", companyType: "有限责任公司", registrationAuthority: "长春市市场监督管理局", validUntil: null },
        })),
      },
    }),
  );

  const bootstrapPath = join(dir, "bootstrap.json");
  const statutory = (id: string, evidenceType: string, matters: string[], fields: readonly string[], citation: string) => ({ id, evidenceType, rules: [{ matters, basis: "statutory", citation, fields: [...fields] }] });
  const bootstrap = (port: number) => ({
    members: [
      { id: "bench-admin", kind: "admin", name: "Benchmark administrator", jwks: { keys: [admin.publicJwk] }, enabled: true },
      { id: WINDOW_ID, kind: "window", name: "南关区政务服务中心 一窗受理 01", region: "220102", jwks: { keys: [window.publicJwk] }, enabled: true },
      // Each department granted what it issues, and loopback where its server runs (PROTOCOL §4).
      ...HTTP_DEPARTMENTS.map((d) => ({ id: d.id, kind: "department", name: d.name, region: "220100", jwks: { keys: [departmentKeys[d.id]!.publicJwk] }, enabled: true, grants: { evidenceTypes: [d.evidenceType], hosts: ["127.0.0.1"] } })),
      { id: "cc-market-regulation", kind: "department", name: "长春市市场监督管理局", region: "220100", jwks: { keys: [] }, enabled: true, grants: { evidenceTypes: [FIXTURE_TYPE], hosts: [] } },
    ],
    matters: [
      { code: HOUSING_MATTER, name: "公共租赁住房保障资格申请", region: "220100", requirements: HTTP_DEPARTMENTS.map((d) => ({ evidenceType: d.evidenceType, exempt: true })) },
      { code: BUSINESS_MATTER, name: "食品经营许可证核发", region: "220100", requirements: [{ evidenceType: FIXTURE_TYPE, exempt: true }] },
    ],
    policies: [
      statutory("bench-dibao", "subsistence-allowance.certificate", [HOUSING_MATTER], ["validUntil", "householdSize"], "《社会救助暂行办法》第十一条、《公共租赁住房管理办法》第七条"),
      statutory("bench-no-property", "housing.no-property-proof", [HOUSING_MATTER], ["propertyCount", "asOf"], "《公共租赁住房管理办法》第七条"),
      statutory("bench-social-insurance", "social-insurance.record", [HOUSING_MATTER], ["contributionMonths"], "《公共租赁住房管理办法》第七条（稳定就业）"),
      statutory("bench-business-license", FIXTURE_TYPE, ["*"], ["companyName", "legalRepresentative", "validUntil"], "《优化营商环境条例》第三十五条"),
    ],
    adapters: [
      ...HTTP_DEPARTMENTS.map((d) => ({
        id: `${d.id}-http`,
        department: d.id,
        kind: "http",
        evidenceTypes: [d.evidenceType],
        config: { endpoint: `http://127.0.0.1:${port}${d.path}`, timeoutMs: 3000, maxBodyBytes: 65536, answerSignature: "required", maxConcurrent: 64 },
        enabled: true,
      })),
      { id: "cc-market-fixture", department: "cc-market-regulation", kind: "fixture", evidenceTypes: [FIXTURE_TYPE], config: { file: fixturePath }, enabled: true },
    ],
  });

  return {
    gateway,
    window,
    admin,
    departmentKeys,
    bootstrapPath,
    fixturePath,
    department: (port, databaseUrl) => ({
      port,
      databaseUrl,
      poolMax: 8,
      departments: HTTP_DEPARTMENTS.map((d): DepartmentSpec => ({ id: d.id, path: d.path, evidenceType: d.evidenceType, answerKey: departmentKeys[d.id]!.privateJwk })),
      trusted: [
        { iss: GATEWAY_ID, kind: "gateway", keys: [gateway.publicJwk] },
        { iss: WINDOW_ID, kind: "window", keys: [window.publicJwk] },
      ],
    }),
    writeBootstrap: (port) => writeFile(bootstrapPath, JSON.stringify(bootstrap(port), null, 1)),
  };
}

/* ------------------------------------------------------------------ databases */

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A new, empty database on the server of `serverUrl` (e.g. postgres://postgres@127.0.0.1:5432/test).
 * @example const db = await createDatabase(url, "huren_bench_gw"); … await db.drop();
 */
export async function createDatabase(serverUrl: string, prefix: string): Promise<BenchDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

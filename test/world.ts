/**
 * A standard world for gateway tests: a window in Nanguan district, departments, the demo
 * matters and policies, fixture adapters, and helpers to add real HTTP departments.
 */
import type { JSONWebKeySet } from "jose";
import { applyBootstrap } from "../src/bootstrap.ts";
import { DEMO_MATTERS, DEMO_POLICIES } from "../src/demo/catalog.ts";
import { CIVIL_AFFAIRS_RECORDS, DEMO_PEOPLE, FIXTURE_RECORDS, type DemoRecord } from "../src/demo/data.ts";
import { startDepartmentServer, type RunningDepartment } from "../src/demo/department-server.ts";
import { GATEWAY_ID, newKey, TEST_GRANTS, type Actor, type Harness } from "./harness.ts";

export { DEMO_PEOPLE };

const fixtureRecords = (records: DemoRecord[]) => records.map((r) => ({ subject: r.subject, name: r.name, status: r.status, certificateId: r.certificateId, claims: r.claims, ...(r.validUntil ? { validUntil: r.validUntil } : {}) }));

export interface World {
  window: Actor;
  civilAffairs: Actor;
  department: RunningDepartment;
  close(): Promise<void>;
}

/**
 * Registers the demo catalog, fixture departments for four types and a real HTTP civil-affairs
 * department (answers signed) for subsistence allowance.
 */
export async function createWorld(h: Harness): Promise<World> {
  const window = await h.addMember("nanguan-window-01", "window", "220102");
  const civilAffairs = await h.addMember("cc-civil-affairs", "department", "220100");
  const deptKey = await newKey();
  // The department signs answers with a second key registered beside its request key.
  const { putMember, getMember } = await import("../src/members/members.ts");
  const current = (await getMember(h.deps.db, civilAffairs.id))!;
  await putMember(h.deps.db, civilAffairs.id, { kind: "department", name: current.name, region: "220100", jwks: { keys: [...current.jwks.keys, deptKey.publicJwk as never] }, enabled: true });

  const department = await startDepartmentServer({
    department: civilAffairs.id,
    gatewayId: GATEWAY_ID,
    gatewayKeys: () => h.deps.keys.jwks() as Promise<JSONWebKeySet>,
    records: CIVIL_AFFAIRS_RECORDS,
    signWith: { kid: deptKey.kid, privateKey: deptKey.privateKey },
  });
  const dept = (id: string) => ({ id, kind: "department", name: id, region: "220100", jwks: { keys: [] }, enabled: true, grants: TEST_GRANTS });
  const fixture = (id: string, department: string, type: string) => ({ id, department, kind: "fixture", evidenceTypes: [type], config: { records: fixtureRecords(FIXTURE_RECORDS[type]!) }, enabled: true });
  await applyBootstrap(h.deps.db, h.deps.secrets, {
    members: [dept("cc-housing"), dept("cc-market-regulation"), dept("cc-hrss"), dept("cc-disabled-federation")],
    matters: DEMO_MATTERS,
    policies: DEMO_POLICIES,
    adapters: [
      { id: "cc-civil-affairs-http", department: civilAffairs.id, kind: "http", evidenceTypes: ["subsistence-allowance.certificate"], config: { endpoint: department.url, timeoutMs: 2000, answerSignature: "required" }, enabled: true },
      fixture("cc-housing-fixture", "cc-housing", "housing.no-property-proof"),
      fixture("cc-market-fixture", "cc-market-regulation", "business-license.registration"),
      fixture("cc-hrss-fixture", "cc-hrss", "social-insurance.record"),
      fixture("cc-cdpf-fixture", "cc-disabled-federation", "disability.certificate"),
    ],
  });
  return { window, civilAffairs, department, close: () => department.close() };
}

export const HOUSING = "220100-public-rental-housing";
export const zhangSan = { type: "resident-id", id: DEMO_PEOPLE.zhangSan.id, name: DEMO_PEOPLE.zhangSan.name } as const;

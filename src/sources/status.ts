/**
 * What `GET /v1/adapters` and `POST /v1/adapters/{id}/check` do beyond the stored registration:
 * each adapter's state and recent health, and running a check against a registered adapter.
 */
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { getEvidenceType } from "../catalog/store.ts";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { notFound } from "../errors.ts";
import { getMember, type Member } from "../members/members.ts";
import { getAdapter, listAdapters, loadAdapterConfig, setLastCheck, type AdapterRecord } from "./store.ts";
import type { AdapterHealth, SourceResolver } from "./resolve.ts";
import { runConformanceCheck, type CheckReport } from "./check.ts";

/**
 * `disabled`: not enabled. `not-granted`: enabled, but never asked — its department is disabled
 * or is granted none of its evidence types (PROTOCOL §4). `failing`: enabled, but this process's
 * circuit breaker is open (or probing), or the last conformance check of the current version
 * failed. Else `enabled`.
 */
export type AdapterState = "enabled" | "disabled" | "not-granted" | "failing";

export interface AdapterStatus extends AdapterRecord {
  state: AdapterState;
  /** Its evidence types the gateway does not ask it for: not granted to its department (all of them if the department is disabled). */
  notGranted: string[];
  /** This gateway process's view: breaker, lookups in flight, error rate and latency. */
  health: AdapterHealth;
}

/** The adapter's types its department may not answer for (§4), as the resolver sees them. */
export function notGrantedTypes(record: AdapterRecord, department: Member | undefined): string[] {
  if (!department?.enabled || department.kind !== "department") return [...record.evidenceTypes];
  const granted = department.grants?.evidenceTypes ?? [];
  return record.evidenceTypes.filter((t) => !granted.includes(t));
}

export function adapterState(record: AdapterRecord, health: AdapterHealth, notGranted: readonly string[] = []): AdapterState {
  if (!record.enabled) return "disabled";
  if (notGranted.length === record.evidenceTypes.length) return "not-granted";
  const breakerTripped = health.version === record.version && health.breaker.state !== "closed";
  const check = record.lastCheck;
  // An unproven check (no probe, nobody found) is not a failure; reports stored before outcomes
  // existed have only ok.
  const checkFailed = check !== null && check.version === record.version && (check.outcome ?? (check.ok ? "passed" : "failed")) === "failed";
  return breakerTripped || checkFailed ? "failing" : "enabled";
}

async function withStatus(db: Db, resolver: SourceResolver, records: AdapterRecord[]): Promise<AdapterStatus[]> {
  const departments = new Map<string, Member | undefined>();
  for (const d of new Set(records.map((r) => r.department))) departments.set(d, await getMember(db, d));
  return records.map((record) => {
    const health = resolver.health(record.id);
    const notGranted = notGrantedTypes(record, departments.get(record.department));
    return { ...record, state: adapterState(record, health, notGranted), notGranted, health };
  });
}

/**
 * @example
 * const list = await listAdapterStatus({ db, resolver }, caller.kind === "department" ? caller.id : undefined);
 */
export async function listAdapterStatus(deps: { db: Db; resolver: SourceResolver }, department?: string): Promise<AdapterStatus[]> {
  return withStatus(deps.db, deps.resolver, await listAdapters(deps.db, department));
}

export async function getAdapterStatus(deps: { db: Db; resolver: SourceResolver }, id: string): Promise<AdapterStatus | undefined> {
  const record = await getAdapter(deps.db, id);
  return record && (await withStatus(deps.db, deps.resolver, [record]))[0];
}

export interface CheckDeps {
  db: Db;
  secrets: Secrets;
  resolver: SourceResolver;
  gatewayId: string;
  now: () => Date;
}

/**
 * Checks a registered adapter's current version, stores the report as its last check and, if
 * it passed, closes this process's circuit for it (the department is known to answer again).
 * What the failures were in detail goes to `onFailure` (the operator's log), never the report.
 * @throws HurenError not-found
 * @example
 * const report = await checkAdapter(deps, "cc-civil-affairs-http"); // report.ok, report.steps
 */
export async function checkAdapter(deps: CheckDeps, id: string, onFailure?: (step: string, detail: string) => void): Promise<CheckReport> {
  const stored = await loadAdapterConfig(deps.db, deps.secrets, id);
  if (!stored) throw notFound(`adapter "${id}"`);
  const defs: EvidenceTypeDef[] = [];
  const missing: string[] = [];
  for (const type of stored.evidenceTypes) {
    const def = await getEvidenceType(deps.db, type);
    if (def) defs.push(def);
    else missing.push(type);
  }
  const report = await runConformanceCheck({
    id,
    kind: stored.kind,
    config: stored.config,
    evidenceTypes: defs,
    version: stored.version,
    requester: deps.gatewayId,
    now: deps.now,
    ...(onFailure ? { onFailure } : {}),
    build: (input) => deps.resolver.buildDetached({ ...input, department: stored.department, beyondGrants: stored.beyondGrants }),
    ...(missing.length ? { problem: `evidence type ${missing.join(", ")} is no longer in the catalog` } : {}),
  });
  await setLastCheck(deps.db, id, report);
  if (report.ok) deps.resolver.resetBreaker(id, stored.version);
  return report;
}

/**
 * The conformance check: can this adapter answer the gateway, correctly, in time? One function,
 * `runConformanceCheck`, serves `POST /v1/adapters/{id}/check` (registered adapters) and the
 * `huren check` CLI (a department's endpoint before it is registered), so both judge alike.
 *
 * Steps, each `pass`, `fail` or `skip` with a person-free detail:
 * config → reachability → probe (a lookup for the test subject) → schema (claims) → signature.
 */
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { validateClaims } from "../catalog/claims-validation.ts";
import { makeResidentId } from "../catalog/subject.ts";
import { HurenError } from "../errors.ts";
import type { LookupRequest, LookupResult } from "../adapters/types.ts";
import type { ProbeConfig } from "../adapters/limits.ts";
import { checkAgainstCatalog, parseAdapterConfig, type AdapterKind } from "./adapter-config.ts";
import type { BuildInput } from "./build.ts";
import type { ResilientSource } from "./resilience.ts";
import { failureOf, type CheckCode } from "./check-report.ts";

export type StepName = "config" | "reachability" | "probe" | "schema" | "signature";
export type StepStatus = "pass" | "fail" | "skip";

export interface CheckStep {
  step: StepName;
  status: StepStatus;
  /** A failed step's stable code (./check-report.ts). */
  code?: CheckCode;
  /** Person-free, and for failures only the code's fixed sentence: nothing the sockets saw. */
  detail: string;
  ms?: number;
}

export interface CheckReport {
  /** Passed: nothing failed and the probe proved the adapter finds a record (or was asked not to). */
  ok: boolean;
  /**
   * `unproven`: nothing failed, but nothing shows the adapter finds anyone — an http or sql
   * adapter without a `probe` whose synthetic subject was "not found", which an endpoint that
   * answers `found: false` to everything would pass too. Not a failure (the adapter stays
   * usable), not a pass.
   */
  outcome: "passed" | "failed" | "unproven";
  adapter: string;
  kind: AdapterKind;
  /** The registered version checked; absent for a check before registration (CLI). */
  version?: number;
  checkedAt: string;
  ms: number;
  steps: CheckStep[];
}

/**
 * Asked when no test subject is configured: region code 999999 does not exist, so this id names
 * nobody, and any well-behaved department answers `found: false` for it.
 */
export const SYNTHETIC_PROBE_SUBJECT = { type: "resident-id" as const, id: makeResidentId("99999919000101000", new Date("2026-01-01T00:00:00Z")) };

export interface ConformanceInput {
  id: string;
  kind: AdapterKind;
  /** The full config, sealed parts opened; validated as the first step. */
  config: unknown;
  evidenceTypes: readonly EvidenceTypeDef[];
  version?: number;
  /** The member id the probe is sent as (`requester`); the gateway id for route checks. */
  requester: string;
  /** Builds the source to check (the same factory as live lookups, outside their cache). */
  build(input: BuildInput): ResilientSource;
  now?: () => Date;
  /** Called as each step completes (the CLI prints it). */
  onStep?(step: CheckStep): void;
  /**
   * What a failed step's code stands for, as the adapter saw it (socket errors, statuses,
   * SQLSTATEs): for the operator's log, or the department's own `huren check`, never the report.
   */
  onFailure?(step: StepName, detail: string): void;
  /** A problem found before the check (e.g. an evidence type gone from the catalog): fails `config`. */
  problem?: string;
}

const elapsed = (since: number) => Math.round(performance.now() - since);

function configProblem(err: unknown): string {
  if (err instanceof HurenError) return err.errors?.map((e) => `${e.path}: ${e.message}`).join("; ") || err.message;
  return err instanceof Error ? err.message : "invalid config";
}

function probeRequest(probe: ProbeConfig | undefined, evidenceType: string, requester: string): LookupRequest {
  return {
    requestId: `check_${crypto.randomUUID()}#0`,
    evidenceType,
    subject: { ...(probe?.subject ?? SYNTHETIC_PROBE_SUBJECT), ...(probe?.name ? { name: probe.name } : {}) },
    fields: ["valid"],
    matter: "huren.conformance-check",
    requester,
  };
}

/** Unavailable codes that mean "no answer came back at all". */
const UNREACHED = new Set(["network", "timeout"]);

/**
 * Runs every step and returns the report; never throws for anything the department does.
 * @example
 * const report = await runConformanceCheck({ id, kind: "http", config, evidenceTypes: [def],
 *   requester: "huren.localhost", build: (input) => buildResilientSource(input, ctx) });
 * report.steps.map((s) => `${s.status} ${s.step}`) // ["pass config", "pass reachability", …]
 */
export async function runConformanceCheck(input: ConformanceInput): Promise<CheckReport> {
  const started = performance.now();
  const steps: CheckStep[] = [];
  const add = (step: CheckStep) => {
    steps.push(step);
    input.onStep?.(step);
  };
  const skipRest = (from: StepName[], why: string) => from.forEach((step) => add({ step, status: "skip", detail: why }));
  let unproven = false;
  const report = (): CheckReport => {
    const outcome = steps.some((s) => s.status === "fail") ? "failed" : unproven ? "unproven" : "passed";
    return { ok: outcome === "passed", outcome, ...rest() };
  };
  const rest = () => ({
    adapter: input.id,
    kind: input.kind,
    ...(input.version !== undefined ? { version: input.version } : {}),
    checkedAt: (input.now ?? (() => new Date()))().toISOString(),
    ms: elapsed(started),
    steps,
  });

  // 1. config
  let config: Record<string, unknown>;
  let source: ResilientSource;
  const types = input.evidenceTypes.map((d) => d.type);
  try {
    if (input.problem) throw new Error(input.problem);
    if (types.length === 0) throw new Error("the adapter answers for no evidence type in the catalog");
    config = parseAdapterConfig(input.kind, input.config);
    checkAgainstCatalog(input.kind, config, input.evidenceTypes);
    const probeType = (config.probe as ProbeConfig | undefined)?.evidenceType;
    if (probeType && !types.includes(probeType)) throw new Error(`probe.evidenceType "${probeType}" is not one of the adapter's evidence types`);
    source = input.build({ id: input.id, kind: input.kind, config, evidenceTypes: types });
  } catch (err) {
    add({ step: "config", status: "fail", code: "invalid-config", detail: configProblem(err) });
    skipRest(["reachability", "probe", "schema", "signature"], "config is not valid");
    return report();
  }
  const timeoutMs = (config.timeoutMs as number | undefined) ?? 5000;
  add({ step: "config", status: "pass", detail: `valid ${input.kind} config for ${types.join(", ")}${input.kind === "fixture" ? "" : `, timeout ${timeoutMs} ms`}` });

  try {
    // 2. reachability, where the source can test it without a lookup (sql: read-only `select 1`)
    let reachedBefore = false;
    if (source.ping) {
      const t = performance.now();
      const ping = await source.ping(AbortSignal.timeout(timeoutMs));
      if (!ping.ok) {
        input.onFailure?.("reachability", `${ping.error}: ${ping.detail}`);
        add({ step: "reachability", status: "fail", ...failureOf(input.kind, { outcome: "unavailable", error: ping.error, detail: ping.detail }), ms: elapsed(t) });
        skipRest(["probe", "schema", "signature"], "not reached");
        return report();
      }
      add({ step: "reachability", status: "pass", detail: ping.detail.replace(/^PostgreSQL [^,]*, /, ""), ms: elapsed(t) });
      reachedBefore = true;
    }

    // 3. probe
    const probe = config.probe as ProbeConfig | undefined;
    const expect = probe ? probe.expect : "any";
    const def = input.evidenceTypes.find((d) => d.type === (probe?.evidenceType ?? types[0]))!;
    const who = probe ? "the configured test subject" : "a synthetic test subject (region 999999)";
    const t = performance.now();
    const result: LookupResult = await source.lookup(probeRequest(probe, def.type, input.requester));
    const ms = elapsed(t);
    const answered = input.kind === "fixture" ? "fixture records loaded" : "the department answered";
    if (result.outcome === "unavailable") {
      const failure = failureOf(input.kind, result);
      if (!reachedBefore) {
        if (UNREACHED.has(result.error)) {
          input.onFailure?.("reachability", `${result.error}: ${result.detail}`);
          add({ step: "reachability", status: "fail", ...failure, ms });
          skipRest(["probe", "schema", "signature"], "not reached");
          return report();
        }
        add({ step: "reachability", status: "pass", detail: answered, ms });
      }
      input.onFailure?.("probe", `${result.error}: ${result.detail}`);
      add({ step: "probe", status: "fail", code: failure.code, detail: `lookup of ${who} for ${def.type}: ${failure.detail}`, ms });
      add({ step: "schema", status: "skip", detail: "no answer to check" });
      add(result.error === "bad-signature" ? { step: "signature", status: "fail", ...failure } : { step: "signature", status: "skip", detail: "no answer to check" });
      return report();
    }
    if (!reachedBefore) add({ step: "reachability", status: "pass", detail: answered, ms });
    const outcome = result.outcome === "found" ? `found (status ${result.status})` : "not found";
    const expected = expect === "any" || expect === result.outcome;
    if (!probe && input.kind !== "fixture" && result.outcome === "not_found") {
      unproven = true;
      add({ step: "probe", status: "skip", detail: `unproven: ${who} for ${def.type} was not found, as expected, but an endpoint that finds no one would answer the same; configure a probe (a test record's subject) to prove lookups`, ms });
    } else
      add({
        step: "probe",
        status: expected ? "pass" : "fail",
        ...(expected ? {} : { code: "unexpected-result" as const }),
        detail: `lookup of ${who} for ${def.type}: ${outcome}${expected ? "" : `, expected ${expect === "found" ? "found" : "not found"}`}`,
        ms,
      });

    // 4. schema
    if (result.outcome === "found") {
      const claims = { ...result.claims };
      if (claims.validUntil === undefined && result.validUntil !== undefined) claims.validUntil = result.validUntil;
      const checked = validateClaims(def, claims);
      add(
        checked.ok
          ? { step: "schema", status: "pass", detail: `claims fit ${def.type} (${Object.keys(checked.claims).join(", ") || "none sent"})` }
          : { step: "schema", status: "fail", code: "schema-mismatch", detail: `claims do not fit ${def.type} at ${checked.errors.map((e) => `${e.path || "(root)"}: ${e.message}`).join("; ")}` },
      );
    } else add({ step: "schema", status: "skip", detail: "no record found, so no claims to check" });

    // 5. signature
    if (input.kind !== "http") add({ step: "signature", status: "skip", detail: `${input.kind} adapters carry no answer signature` });
    else if (result.signature) add({ step: "signature", status: "pass", detail: `answer signed (${result.signature.alg}${result.signature.kid ? `, kid ${result.signature.kid}` : ""}) and verified with the department's keys` });
    else add({ step: "signature", status: "skip", detail: `answer not signed (answerSignature ${String(config.answerSignature)})` });
    return report();
  } finally {
    await source.close?.().catch(() => {});
  }
}

/**
 * Department (and admin) commands for adapters: register one from a file, run the gateway's
 * conformance check, enable or disable it, and see its state.
 *
 *   huren adapters register -f adapter.json   (a PUT body with its "id")
 *   huren adapters check ID                   (exit 1 unless the check passed)
 *   huren adapters enable|disable ID
 *   huren adapters status [ID]                (all of the caller's adapters without ID)
 */
import { CliError, EXIT, out, printJson, printTable, usage } from "./output.ts";
import { openSession, parse, readJsonFile } from "./session.ts";

export const ADAPTERS_USAGE = `  huren adapters register -f adapter.json --key FILE [--json]   (department or admin)
  huren adapters check ID --key FILE [--json]                   (the gateway's conformance check; exit 1 unless passed)
  huren adapters enable|disable ID --key FILE [--json]
  huren adapters status [ID] --key FILE [--json]`;

interface Adapter {
  id: string;
  department: string;
  kind: string;
  evidenceTypes: string[];
  config: Record<string, unknown>;
  enabled: boolean;
  version: number;
  state?: string;
  lastCheck?: { ok: boolean; outcome?: string; checkedAt: string; steps?: Step[] } | null;
  health?: { breaker?: { state: string }; recent?: { lookups: number; errorRate: number; latencyMs: { p95: number } | null } };
}

/** A check step; `code` is the stable step code where the gateway gives one. */
interface Step {
  step?: string;
  code?: string;
  status: string;
  detail?: string;
  ms?: number;
}

const path = (id: string) => `/v1/adapters/${encodeURIComponent(id)}`;
const MARK: Record<string, string> = { pass: "✓", fail: "✗", skip: "–", unproven: "?" };

function printStatus(adapters: Adapter[]) {
  printTable(adapters, [
    ["id", (a) => a.id],
    ["department", (a) => a.department],
    ["kind", (a) => a.kind],
    ["evidenceTypes", (a) => a.evidenceTypes.join(" ")],
    ["state", (a) => a.state ?? (a.enabled ? "enabled" : "disabled")],
    ["version", (a) => a.version],
    ["lastCheck", (a) => (a.lastCheck ? `${a.lastCheck.outcome ?? (a.lastCheck.ok ? "passed" : "failed")} ${a.lastCheck.checkedAt}` : "never")],
    ["lookups", (a) => a.health?.recent?.lookups],
    ["errorRate", (a) => a.health?.recent?.errorRate],
    ["p95Ms", (a) => a.health?.recent?.latencyMs?.p95],
  ]);
}

export async function adaptersCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parse(rest, { file: { type: "string", short: "f" } }, true);
  const id = positionals[0];
  if (!verb || !["register", "check", "enable", "disable", "status", "list"].includes(verb)) throw usage(`usage:\n${ADAPTERS_USAGE}`);
  if (["check", "enable", "disable"].includes(verb) && !id) throw usage(`huren adapters ${verb} needs the adapter id`);
  const session = await openSession(values);

  if (verb === "register") {
    if (!values.file) throw usage("huren adapters register needs -f FILE (a PUT body with its \"id\")");
    const { id: fileId, ...body } = (await readJsonFile(values.file)) as Record<string, unknown>;
    if (typeof fileId !== "string") throw usage(`${values.file}: no "id" (the adapter id)`);
    const res = await session.raw("PUT", path(fileId), body);
    if (res.status !== 200 && res.status !== 201) await session.api("PUT", path(fileId), body);
    const a = res.body as Adapter;
    if (session.json) printJson(a);
    else out(`${res.status === 201 ? "registered" : "saved"} adapter ${a.id} (version ${a.version}, ${a.enabled ? "enabled" : "disabled"}); next: huren adapters check ${a.id}`);
    return;
  }
  if (verb === "check") {
    const report = await session.api<{ ok: boolean; ms: number; steps: Step[]; outcome?: string }>("POST", `${path(id!)}/check`);
    const verdict = report.ok ? "PASS" : report.outcome === "unproven" ? "UNPROVEN (configure a probe: a test record's subject)" : "FAIL";
    if (session.json) printJson(report);
    else {
      for (const s of report.steps) out(`  ${MARK[s.status] ?? s.status} ${(s.code ?? s.step ?? "").padEnd(24)} ${s.detail ?? ""}${s.ms !== undefined ? ` (${s.ms} ms)` : ""}`);
      out(`${verdict} (${report.ms} ms)`);
    }
    if (!report.ok) process.exitCode = EXIT.failed;
    return;
  }
  if (verb === "enable" || verb === "disable") {
    const current = await session.api<Adapter>("GET", path(id!));
    // Sealed values go back as "(sealed)": the gateway keeps the ones it holds.
    const body = { department: current.department, kind: current.kind, evidenceTypes: current.evidenceTypes, config: current.config, enabled: verb === "enable" };
    const a = await session.api<Adapter>("PUT", path(id!), body);
    if (session.json) printJson(a);
    else out(`adapter ${a.id} ${a.enabled ? "enabled" : "disabled"} (version ${a.version})`);
    return;
  }
  // status / list
  const adapters = id ? [await session.api<Adapter>("GET", path(id))] : (await session.api<{ adapters: Adapter[] }>("GET", "/v1/adapters")).adapters;
  if (!Array.isArray(adapters)) throw new CliError("unexpected answer from /v1/adapters");
  if (session.json) printJson(id ? adapters[0] : adapters);
  else printStatus(adapters);
}

/**
 * `huren check`: the conformance check a department runs against its own endpoint (or front
 * database) before the adapter is registered — the same `runConformanceCheck` the gateway runs
 * for `POST /v1/adapters/{id}/check`, printing each step as it passes (✓) or fails (✗).
 *
 * The gateway's requests are signed. Here they are signed with `--signing-key` (a private JWK,
 * e.g. from `huren keygen`, that the department's test server trusts as the gateway's key) or
 * else with a throwaway key — then a department that checks tokens answers 401, and says so.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { BUILTIN_EVIDENCE_TYPES } from "../catalog/builtin-types.ts";
import { outboundSigner } from "../keys/outbound.ts";
import type { JwsSigner } from "../keys/gateway-keys.ts";
import { createUndiciHttpClient } from "../http/undici-client.ts";
import { adapterBodySchema } from "../sources/adapter-config.ts";
import { buildResilientSource } from "../sources/build.ts";
import { runConformanceCheck, type CheckStep } from "../sources/check.ts";
import { loadKeyFile, signedFetch } from "./client.ts";

export const CHECK_USAGE = `  huren check --adapter FILE | --endpoint URL --department ID --evidence-type TYPE
              [--answer-signature required|optional|none] [--timeout-ms MS]
              [--subject TYPE:ID [--name NAME] [--expect found|not_found|any]]
              [--department-jwks FILE] [--signing-key FILE] [--gateway-id ID]
              [--key FILE --gateway URL] [--json]                    (conformance check before registering)`;

const MARK: Record<CheckStep["status"], string> = { pass: "✓", fail: "✗", skip: "–" };

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: ${err instanceof SyntaxError ? "not valid JSON" : (err as { code?: string }).code ?? "cannot read"}`);
  }
}

/** A private JWK, bare or inside a `huren keygen` key file. */
async function loadSigner(path: string | undefined): Promise<{ signer: JwsSigner; ephemeral: boolean }> {
  let jwk: JWK;
  if (path) {
    const json = (await readJson(path)) as { jwk?: JWK } & JWK;
    jwk = json.jwk ?? json;
    if (!jwk.d) throw new Error(`${path}: no private key (a JWK with "d")`);
  } else {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    jwk = await exportJWK(privateKey);
  }
  const alg = jwk.kty === "OKP" ? "EdDSA" : "ES256";
  const { d: _d, ...pub } = jwk;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(pub)).slice(0, 16);
  const key = (await importJWK(jwk, alg)) as CryptoKey;
  const signer: JwsSigner = {
    kid,
    alg,
    signJson: (typ, payload) => new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg, kid, typ }).sign(key),
  };
  return { signer, ephemeral: !path };
}

/** Built-in types offline; others from the gateway's catalog with the department's member key. */
async function evidenceTypeDefs(types: string[], keyFile: string | undefined, gateway: string | undefined): Promise<EvidenceTypeDef[]> {
  const defs: EvidenceTypeDef[] = [];
  for (const type of types) {
    const builtin = BUILTIN_EVIDENCE_TYPES.find((t) => t.type === type);
    if (builtin) {
      defs.push(builtin);
      continue;
    }
    if (!keyFile) throw new Error(`"${type}" is not a built-in evidence type: pass --key (your member key file) to read it from the gateway's catalog`);
    const key = await loadKeyFile(keyFile);
    const res = await signedFetch(key, "GET", `/v1/catalog/evidence-types/${encodeURIComponent(type)}`, undefined, gateway ?? key.gateway);
    if (res.status !== 200) throw new Error(`evidence type "${type}": the gateway answered HTTP ${res.status}`);
    defs.push({ ...(res.body as EvidenceTypeDef), builtin: false });
  }
  return defs;
}

type Values = Record<string, string | boolean | undefined>;

/** The adapter to check: a PUT body from `--adapter FILE`, or an http adapter from flags. */
async function adapterFrom(values: Values): Promise<{ id: string; department: string; kind: "http" | "sql" | "fixture"; evidenceTypes: string[]; config: Record<string, unknown> }> {
  if (typeof values.adapter === "string") {
    const raw = (await readJson(values.adapter)) as Record<string, unknown>;
    const { id, ...body } = raw;
    const parsed = adapterBodySchema.safeParse(body);
    if (!parsed.success) throw new Error(`${values.adapter}: not an adapter body: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return { id: typeof id === "string" ? id : "unregistered", ...parsed.data };
  }
  if (typeof values.endpoint !== "string" || typeof values.department !== "string" || typeof values["evidence-type"] !== "string") {
    throw new Error(`check needs --adapter FILE, or --endpoint, --department and --evidence-type\n${CHECK_USAGE}`);
  }
  const config: Record<string, unknown> = { endpoint: values.endpoint };
  if (typeof values["answer-signature"] === "string") config.answerSignature = values["answer-signature"];
  if (typeof values["timeout-ms"] === "string") config.timeoutMs = Number(values["timeout-ms"]);
  if (typeof values.subject === "string") {
    const [type, ...rest] = values.subject.split(":");
    config.probe = { subject: { type, id: rest.join(":") }, ...(typeof values.name === "string" ? { name: values.name } : {}), ...(typeof values.expect === "string" ? { expect: values.expect } : {}) };
  }
  return { id: "unregistered", department: values.department, kind: "http", evidenceTypes: [values["evidence-type"]], config };
}

/**
 * Runs the check and prints it; sets the exit code (0 passed, 1 failed or unproven).
 * @example
 * await checkCommand(["--endpoint", "http://127.0.0.1:8788/huren/lookup", "--department", "cc-civil-affairs",
 *   "--evidence-type", "subsistence-allowance.certificate"], (line) => console.log(line));
 */
export async function checkCommand(argv: string[], print: (line: string) => void = (l) => process.stdout.write(l + "\n")): Promise<boolean> {
  const { values } = parseArgs({
    args: argv,
    options: {
      adapter: { type: "string" },
      endpoint: { type: "string" },
      department: { type: "string" },
      "evidence-type": { type: "string" },
      "answer-signature": { type: "string" },
      "timeout-ms": { type: "string" },
      subject: { type: "string" },
      name: { type: "string" },
      expect: { type: "string" },
      "department-jwks": { type: "string" },
      "signing-key": { type: "string" },
      "gateway-id": { type: "string", default: "huren.localhost" },
      key: { type: "string" },
      gateway: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const adapter = await adapterFrom(values);
  const defs = await evidenceTypeDefs(adapter.evidenceTypes, values.key, values.gateway);
  const jwks = values["department-jwks"] ? ((await readJson(values["department-jwks"])) as { keys: Record<string, unknown>[] }) : { keys: [] };
  const { signer, ephemeral } = await loadSigner(values["signing-key"]);
  const gatewayId = values["gateway-id"]!;
  const http = createUndiciHttpClient({ connections: 4 });
  const ctx = {
    department: adapter.department,
    http,
    signer: outboundSigner(signer, gatewayId, () => new Date(), () => `check_${crypto.randomUUID()}`),
    departmentKeys: async () => jwks,
    readFile: (path: string) => readFile(path, "utf8"),
  };

  if (!values.json) print(`Conformance check: ${adapter.kind} adapter of ${adapter.department} for ${adapter.evidenceTypes.join(", ")}`);
  const failures: string[] = [];
  const causes = new Map<string, string>();
  try {
    const report = await runConformanceCheck({
      id: adapter.id,
      kind: adapter.kind,
      config: adapter.config,
      evidenceTypes: defs,
      requester: gatewayId,
      build: (input) => buildResilientSource(input, ctx),
      // Run on the department's own machine: the raw failure (status, socket error) is its to see.
      // On the department's own machine the raw cause (status, socket error, SQLSTATE) is its to
      // see: a failed step prints it beside the code the gateway's report would show.
      ...(values.json
        ? {}
        : { onStep: (s: CheckStep) => print(`  ${MARK[s.status]} ${s.step.padEnd(12)} ${s.code ? `[${s.code}] ` : ""}${(s.status === "fail" && causes.get(s.step)) || s.detail}${s.ms !== undefined ? ` (${s.ms} ms)` : ""}`) }),
      onFailure: (step, detail) => {
        causes.set(step, detail);
        failures.push(`${step}: ${detail}`);
      },
    });
    if (values.json) print(JSON.stringify(report, null, 2));
    else {
      const refused = failures.some((f) => /HTTP 40[13]\b/.test(f));
      if (refused && ephemeral) print(`  note: requests were signed with a throwaway key (kid ${signer.kid}); pass --signing-key with a key your server trusts as the gateway's`);
      print(report.ok ? `PASS (${report.ms} ms)` : report.outcome === "unproven" ? `UNPROVEN (${report.ms} ms): pass --subject with a test record's id to prove lookups` : `FAIL (${report.ms} ms)`);
    }
    return report.ok;
  } finally {
    await http.close?.();
  }
}

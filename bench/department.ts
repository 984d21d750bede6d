/**
 * A realistic department for the benchmark: the §4 `http` contract as a secured registry would
 * run it — a node:http server that checks the caller's signed token (EdDSA, via jose, keys
 * imported once), reads the record from its own PostgreSQL table with postgres.js, and answers
 * with a JWS signed by the department's key.
 *
 * It answers two kinds of caller, checked the same way (signature, iss/aud/iat/exp, htm/htu,
 * bh, jti replay): the gateway (iss = gateway id) — path (b) — and, for the direct-call
 * baseline (a), a window signing with its own key, as a window would without Huren. A window
 * may only ask on its own behalf (`requester` = its iss).
 *
 * Run: `node --import tsx bench/department.ts <config.json>` (the benchmark does this).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import { CompactSign, compactVerify, importJWK, type CryptoKey, type JWK } from "jose";
import type { Person } from "./lib/data.ts";

export interface DepartmentSpec {
  /** Member id: the `aud` its callers must name. */
  id: string;
  path: string;
  evidenceType: string;
  /** The department's private answer key (its public half is registered with the gateway). */
  answerKey: JWK & { kid: string };
}

export interface DepartmentConfig {
  port: number;
  databaseUrl: string;
  poolMax: number;
  /** Several departments may share this process (one path each), as one test registry host. */
  departments: DepartmentSpec[];
  /** Who may call: the gateway, and windows for direct calls; public keys by kid. */
  trusted: { iss: string; kind: "gateway" | "window"; keys: (JWK & { kid: string })[] }[];
}

const TABLE = "records";
const MAX_LIFETIME_S = 300;
const SKEW_S = 60;

/* ------------------------------------------------------------------ the registry's data */

function claimsFor(evidenceType: string, p: Person, i: number): { status: string; certificateId: string; validUntil?: string; claims: Record<string, unknown> } {
  const y = 2025 + (i % 3);
  switch (evidenceType) {
    case "subsistence-allowance.certificate": {
      const no = `DB-${p.region}-${y - 1}-${String(i).padStart(6, "0")}`;
      const validUntil = `${y + 1}-06-30`;
      // One in twenty certificates has been revoked: registries hold history, not only the valid.
      return { status: i % 20 === 7 ? "revoked" : "valid", certificateId: no, validUntil, claims: { certificateNo: no, category: i % 3 === 0 ? "rural" : "urban", householdSize: 1 + (i % 5), monthlyAmount: 680 * (1 + (i % 5)), validFrom: `${y - 1}-07-01`, validUntil, region: p.region } };
    }
    case "housing.no-property-proof":
      return { status: "valid", certificateId: `WF-${y}-${String(i).padStart(6, "0")}`, validUntil: `${y + 1}-05-20`, claims: { region: "220100", propertyCount: 0, asOf: `${y}-11-20`, validUntil: `${y + 1}-05-20` } };
    case "social-insurance.record":
      return { status: "valid", certificateId: `SI-${p.region}-${i}`, claims: { insuranceTypes: ["pension", "medical"], insuredStatus: "active", contributionMonths: 12 + (i % 400), lastContributionMonth: "2026-10", employerName: "长春市某某有限公司", region: p.region } };
    default:
      throw new Error(`no generator for ${evidenceType}`);
  }
}

/**
 * Creates the department's table and fills it: one record per person and evidence type.
 * @example await seedDepartmentDatabase(url, ["subsistence-allowance.certificate"], makePeople(100_000));
 */
export async function seedDepartmentDatabase(databaseUrl: string, evidenceTypes: string[], people: Person[]): Promise<number> {
  const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  try {
    await sql.unsafe(`create table if not exists ${TABLE} (
      evidence_type text not null, subject_type text not null, subject_id text not null,
      name text not null, status text not null, certificate_id text not null,
      valid_until date, claims jsonb not null,
      primary key (evidence_type, subject_type, subject_id))`);
    let rows = 0;
    const CHUNK = 5000;
    for (const type of evidenceTypes) {
      for (let at = 0; at < people.length; at += CHUNK) {
        const batch = people.slice(at, at + CHUNK).map((p, j) => {
          const r = claimsFor(type, p, at + j);
          return { evidence_type: type, subject_type: "resident-id", subject_id: p.id, name: p.name, status: r.status, certificate_id: r.certificateId, valid_until: r.validUntil ?? null, claims: sql.json(r.claims as postgres.JSONValue) };
        });
        await sql`insert into ${sql(TABLE)} ${sql(batch)} on conflict do nothing`;
        rows += batch.length;
      }
    }
    await sql.unsafe(`analyze ${TABLE}`);
    return rows;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/* ------------------------------------------------------------------ checking the caller */

type Verdict = { ok: true; iss: string; kind: "gateway" | "window" } | { ok: false; reason: string };

const b64urlJson = (segment: string): Record<string, unknown> => JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as Record<string, unknown>;

interface Trusted {
  kind: "gateway" | "window";
  keys: Map<string, CryptoKey>;
}

/** jti → expiry (s); a token seen within its lifetime is a replay. Swept every 10 s. */
class ReplayCache {
  private seen = new Map<string, number>();
  private timer = setInterval(() => {
    const now = Date.now() / 1000 - SKEW_S;
    for (const [k, exp] of this.seen) if (exp < now) this.seen.delete(k);
  }, 10_000).unref();
  remember(key: string, exp: number): boolean {
    if (this.seen.has(key)) return false;
    this.seen.set(key, exp);
    return true;
  }
  close() {
    clearInterval(this.timer);
  }
}

async function checkCaller(auth: string | undefined, dept: DepartmentSpec, path: string, body: Buffer, trusted: Map<string, Trusted>, replay: ReplayCache): Promise<Verdict> {
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(auth ?? "");
  if (!m) return { ok: false, reason: "missing or malformed token" };
  let header: Record<string, unknown>;
  let unverified: Record<string, unknown>;
  try {
    header = b64urlJson(m[1]!);
    unverified = b64urlJson(m[2]!);
  } catch {
    return { ok: false, reason: "malformed token" };
  }
  if (header.alg !== "EdDSA" || header.typ !== "huren-req+jwt" || typeof header.kid !== "string") return { ok: false, reason: "wrong alg/typ/kid" };
  const caller = typeof unverified.iss === "string" ? trusted.get(unverified.iss) : undefined;
  const key = caller?.keys.get(header.kid);
  if (!caller || !key) return { ok: false, reason: "unknown issuer or key" };
  let c: Record<string, unknown>;
  try {
    const { payload } = await compactVerify(m[0].slice(7), key, { algorithms: ["EdDSA"] });
    c = JSON.parse(Buffer.from(payload).toString("utf8")) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: "bad signature" };
  }
  const now = Math.floor(Date.now() / 1000);
  if (c.aud !== dept.id) return { ok: false, reason: "wrong aud" };
  if (typeof c.iat !== "number" || typeof c.exp !== "number" || c.exp <= c.iat || c.exp - c.iat > MAX_LIFETIME_S) return { ok: false, reason: "bad iat/exp" };
  if (c.iat > now + SKEW_S || c.exp < now - SKEW_S) return { ok: false, reason: "expired or not yet valid" };
  if (c.htm !== "POST" || c.htu !== path) return { ok: false, reason: "wrong htm/htu" };
  if (c.bh !== createHash("sha256").update(body).digest("base64url")) return { ok: false, reason: "body mismatch" };
  if (caller.kind === "window" && (typeof c.uid !== "string" || c.uid.length === 0)) return { ok: false, reason: "uid required" };
  if (typeof c.jti !== "string" || c.jti.length < 16 || !replay.remember(`${c.iss}|${c.jti}`, c.exp)) return { ok: false, reason: "bad or replayed jti" };
  return { ok: true, iss: c.iss as string, kind: caller.kind };
}

/* ------------------------------------------------------------------ the server */

export interface RunningDepartment {
  port: number;
  close(): Promise<void>;
}

/**
 * @example
 * const dept = await startDepartment(JSON.parse(readFileSync("dept.json", "utf8")));
 */
export async function startDepartment(config: DepartmentConfig): Promise<RunningDepartment> {
  const sql = postgres(config.databaseUrl, { max: config.poolMax, fetch_types: false, onnotice: () => {} });
  const trusted = new Map<string, Trusted>();
  for (const t of config.trusted) {
    const keys = new Map<string, CryptoKey>();
    for (const jwk of t.keys) keys.set(jwk.kid, (await importJWK(jwk, "EdDSA")) as CryptoKey);
    trusted.set(t.iss, { kind: t.kind, keys });
  }
  const byPath = new Map<string, { spec: DepartmentSpec; key: CryptoKey }>();
  for (const d of config.departments) byPath.set(d.path, { spec: d, key: (await importJWK(d.answerKey, "EdDSA")) as CryptoKey });
  const replay = new ReplayCache();
  const counts = { gateway: 0, window: 0, refused: 0 };

  const send = (res: ServerResponse, status: number, body: string, type = "application/json") => {
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
    res.end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    if (req.method === "GET" && req.url === "/healthz") return send(res, 200, JSON.stringify({ status: "ok", ...counts }));
    const route = req.url ? byPath.get(req.url) : undefined;
    if (req.method !== "POST" || !route) return send(res, 404, '{"error":"not found"}');
    const verdict = await checkCaller(req.headers.authorization, route.spec, req.url!, body, trusted, replay);
    if (!verdict.ok) {
      counts.refused++;
      return send(res, 401, JSON.stringify({ error: verdict.reason }));
    }
    let q: { requestId?: unknown; evidenceType?: unknown; subject?: { type?: unknown; id?: unknown; name?: unknown }; fields?: unknown; requester?: unknown };
    try {
      q = JSON.parse(body.toString("utf8"));
    } catch {
      return send(res, 400, '{"error":"bad json"}');
    }
    if (q.evidenceType !== route.spec.evidenceType || typeof q.subject?.id !== "string" || typeof q.subject.type !== "string") return send(res, 400, '{"error":"bad query"}');
    // A window asks only for itself; the gateway asks on behalf of the window it authenticated.
    if (verdict.kind === "window" && q.requester !== verdict.iss) return send(res, 403, '{"error":"requester is not the caller"}');
    counts[verdict.kind]++;

    const [row] = await sql<{ name: string; status: string; certificate_id: string; valid_until: string | null; claims: Record<string, unknown> }[]>`
      select name, status, certificate_id, to_char(valid_until, 'YYYY-MM-DD') as valid_until, claims
      from records where evidence_type = ${route.spec.evidenceType} and subject_type = ${q.subject.type} and subject_id = ${q.subject.id}`;
    let answer: Record<string, unknown>;
    if (!row) answer = { requestId: q.requestId, found: false };
    else {
      // Minimise at the source too: only the claims asked for leave the registry.
      const wanted = Array.isArray(q.fields) ? new Set(q.fields as string[]) : undefined;
      const claims = wanted ? Object.fromEntries(Object.entries(row.claims).filter(([k]) => wanted.has(k))) : row.claims;
      answer = {
        requestId: q.requestId,
        found: true,
        status: row.status,
        certificateId: row.certificate_id,
        claims,
        ...(row.valid_until ? { validUntil: row.valid_until } : {}),
        ...(typeof q.subject.name === "string" ? { nameMatches: q.subject.name.normalize("NFKC").replace(/\s+/g, "") === row.name } : {}),
      };
    }
    const jws = await new CompactSign(Buffer.from(JSON.stringify(answer))).setProtectedHeader({ alg: "EdDSA", kid: route.spec.answerKey.kid, typ: "huren-answer+jwt" }).sign(route.key);
    send(res, 200, jws, "application/jose");
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 65_536) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        process.stderr.write(`department: ${err instanceof Error ? err.message : String(err)}\n`);
        if (!res.headersSent) send(res, 500, '{"error":"internal"}');
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      replay.close();
      await sql.end({ timeout: 5 });
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as DepartmentConfig;
  const dept = await startDepartment(config);
  process.stderr.write(`department listening on 127.0.0.1:${dept.port}\n`);
  const stop = () => void dept.close().finally(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

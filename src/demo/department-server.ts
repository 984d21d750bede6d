/**
 * A department's side of the §4 `http` contract, as a real HTTP server: it checks the gateway's
 * signed token as a secured registry must, looks the record up, and answers (optionally as a
 * JWS signed with the department's key). The demo runs one; tests and benchmarks use it as a
 * well-behaved department.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CompactSign, compactVerify, createLocalJWKSet, type CryptoKey, type JSONWebKeySet } from "jose";
import { sha256b64url } from "../crypto/encoding.ts";
import type { DemoRecord } from "./data.ts";

export interface DepartmentServerOptions {
  department: string;
  gatewayId: string;
  /** The gateway's JWKS (fetched from /.well-known/jwks.json in the demo). */
  gatewayKeys(): Promise<JSONWebKeySet>;
  records: Record<string, DemoRecord[]>;
  /** Sign answers with this key (`answerSignature`), else answer plain JSON. */
  signWith?: { kid: string; privateKey: CryptoKey } | undefined;
  port?: number;
  host?: string;
  path?: string;
  /** Subject ids whose record system is "down": the lookup answers 503 (the demo's unavailable item). */
  unavailableFor?: readonly string[];
}

export interface RunningDepartment {
  url: string;
  server: Server;
  /** Lookups answered, for tests. */
  readonly calls: number;
  close(): Promise<void>;
}

const normaliseName = (s: string) => s.normalize("NFKC").replace(/\s+/g, "");

async function checkToken(req: { method: string; path: string; auth: string | undefined; body: Buffer }, o: DepartmentServerOptions): Promise<string | undefined> {
  const m = /^Bearer (.+)$/.exec(req.auth ?? "");
  if (!m) return "missing token";
  try {
    const jwks = createLocalJWKSet(await o.gatewayKeys());
    const { payload, protectedHeader } = await compactVerify(m[1]!, jwks, { algorithms: ["EdDSA", "ES256"] });
    if (protectedHeader.typ !== "huren-req+jwt") return "wrong typ";
    const c = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    if (c.iss !== o.gatewayId || c.aud !== o.department) return "wrong iss/aud";
    if (typeof c.exp !== "number" || c.exp < now - 60) return "expired";
    if (c.htm !== req.method || c.htu !== req.path) return "wrong htm/htu";
    if (c.bh !== (await sha256b64url(new Uint8Array(req.body)))) return "body mismatch";
    return undefined;
  } catch {
    return "bad signature";
  }
}

/**
 * @example
 * const dept = await startDepartmentServer({ department: "cc-civil-affairs", gatewayId, gatewayKeys, records });
 * // register an http adapter with endpoint dept.url
 */
export async function startDepartmentServer(o: DepartmentServerOptions): Promise<RunningDepartment> {
  const path = o.path ?? "/huren/lookup";
  const index = new Map<string, DemoRecord>();
  for (const [type, records] of Object.entries(o.records)) for (const r of records) index.set(`${type}|${r.subject.type}:${r.subject.id}`, r);
  let calls = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const send = (status: number, payload: string, type = "application/json") => {
        res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(payload) });
        res.end(payload);
      };
      if (req.method !== "POST" || req.url !== path) return send(404, JSON.stringify({ error: "not found" }));
      const problem = await checkToken({ method: req.method, path: req.url, auth: req.headers.authorization, body }, o);
      if (problem) return send(401, JSON.stringify({ error: problem }));
      let q: { evidenceType?: string; subject?: { type?: string; id?: string; name?: string } };
      try {
        q = JSON.parse(body.toString("utf8"));
      } catch {
        return send(400, JSON.stringify({ error: "bad json" }));
      }
      calls++;
      if (q.subject?.id && o.unavailableFor?.includes(q.subject.id)) return send(503, JSON.stringify({ error: "record system unavailable" }));
      const record = index.get(`${q.evidenceType}|${q.subject?.type}:${q.subject?.id}`);
      const answer = record
        ? {
            found: true,
            status: record.status,
            certificateId: record.certificateId,
            claims: record.claims,
            ...(record.validUntil ? { validUntil: record.validUntil } : {}),
            ...(q.subject?.name ? { nameMatches: normaliseName(q.subject.name) === normaliseName(record.name) } : {}),
          }
        : { found: false };
      if (!o.signWith) return send(200, JSON.stringify(answer));
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(answer)))
        .setProtectedHeader({ alg: "EdDSA", kid: o.signWith.kid })
        .sign(o.signWith.privateKey);
      return send(200, jws, "application/jose");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? "127.0.0.1"}:${port}${path}`,
    server,
    get calls() {
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

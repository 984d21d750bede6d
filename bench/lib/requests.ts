/**
 * What the load generator sends: §2-signed requests with a fresh `jti` and the right `htu`/`bh`
 * for every single request, built on the fly.
 *
 * Signing happens on the load generator, per request, and its CPU is counted there. It uses
 * node:crypto's synchronous Ed25519 (the key imported once) rather than jose's async API,
 * because autocannon's `setupRequest` hook is synchronous; the tokens are ordinary compact JWS
 * (`alg: EdDSA`, `typ: huren-req+jwt`), byte-for-byte what jose would produce for the same input.
 */
import { createHash, createPrivateKey, randomBytes, sign, type KeyObject } from "node:crypto";
import type { JWK } from "jose";
import type { Company, Person } from "./data.ts";
import { BUSINESS_MATTER, FIXTURE_TYPE, GATEWAY_ID, HOUSING_MATTER, HTTP_DEPARTMENTS, WINDOW_ID, WINDOW_UID } from "./world.ts";

export interface BenchRequest {
  method: "POST";
  path: string;
  headers: Record<string, string>;
  body: string;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** A window's request signer: one imported key, a fresh jti per call. */
export class WindowSigner {
  private readonly key: KeyObject;
  private readonly header: string;
  private counter = 0;
  private readonly prefix = randomBytes(6).toString("hex");

  constructor(privateJwk: JWK & { kid: string }, private readonly iss = WINDOW_ID, private readonly uid = WINDOW_UID) {
    this.key = createPrivateKey({ key: privateJwk as import("node:crypto").JsonWebKey, format: "jwk" });
    this.header = b64url(JSON.stringify({ alg: "EdDSA", kid: privateJwk.kid, typ: "huren-req+jwt" }));
  }

  /** A signed POST of `body` to `path`, for audience `aud`. */
  request(aud: string, path: string, body: string): BenchRequest {
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: this.iss,
      aud,
      iat,
      exp: iat + 120,
      jti: `${this.prefix}-${++this.counter}-${iat}`,
      htm: "POST",
      htu: path,
      bh: createHash("sha256").update(body).digest("base64url"),
      uid: this.uid,
    };
    const input = `${this.header}.${b64url(JSON.stringify(claims))}`;
    const signature = sign(null, Buffer.from(input), this.key).toString("base64url");
    return { method: "POST", path, headers: { "content-type": "application/json", authorization: `Bearer ${input}.${signature}` }, body };
  }
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
let caseCounter = 0;
const caseRef = () => `NG-2026-${String(++caseCounter % 1_000_000).padStart(6, "0")}`;

const civil = HTTP_DEPARTMENTS[0];

/** The kinds of request a scenario sends. */
export type RequestKind = "direct" | "gateway-http" | "gateway-fixture" | "gateway-fanout3";

/**
 * A factory of fresh signed requests of one kind, with random subjects from the data set.
 * (a) `direct`: the window asks the civil-affairs registry itself (§4 body, aud = department).
 * (b) `gateway-http`: the same lookup as a §3 verification through the gateway.
 * (c) `gateway-fixture`: a business-licence check answered from a fixture (no department hop).
 * (d) `gateway-fanout3`: three evidence types from three departments in one verification.
 * @example const next = requestFactory("gateway-http", signer, people, companies); const req = next();
 */
export function requestFactory(kind: RequestKind, signer: WindowSigner, people: readonly Person[], companies: readonly Company[]): () => BenchRequest {
  let n = 0;
  switch (kind) {
    case "direct":
      return () => {
        const p = pick(people);
        const body = JSON.stringify({
          requestId: `direct-${++n}`,
          evidenceType: civil.evidenceType,
          subject: { type: "resident-id", id: p.id, name: p.name },
          fields: ["valid", "validUntil"],
          matter: HOUSING_MATTER,
          requester: WINDOW_ID,
        });
        return signer.request(civil.id, civil.path, body);
      };
    case "gateway-http":
      return () => {
        const p = pick(people);
        const body = JSON.stringify({ matter: HOUSING_MATTER, case: caseRef(), subject: { type: "resident-id", id: p.id, name: p.name }, evidence: [{ type: civil.evidenceType, fields: ["validUntil"] }] });
        return signer.request(GATEWAY_ID, "/v1/verifications", body);
      };
    case "gateway-fixture":
      return () => {
        const c = pick(companies);
        const body = JSON.stringify({ matter: BUSINESS_MATTER, case: caseRef(), subject: { type: "uscc", id: c.id, name: c.name }, evidence: [{ type: FIXTURE_TYPE, fields: ["companyName"] }] });
        return signer.request(GATEWAY_ID, "/v1/verifications", body);
      };
    case "gateway-fanout3":
      return () => {
        const p = pick(people);
        const body = JSON.stringify({
          matter: HOUSING_MATTER,
          case: caseRef(),
          subject: { type: "resident-id", id: p.id, name: p.name },
          evidence: HTTP_DEPARTMENTS.map((d) => ({ type: d.evidenceType, fields: [d.fields[0]] })),
        });
        return signer.request(GATEWAY_ID, "/v1/verifications", body);
      };
  }
}

/** How many items a response of this kind must carry. */
export const itemsPerRequest = (kind: RequestKind) => (kind === "gateway-fanout3" ? 3 : 1);

/**
 * Is this a correct answer? A 200 is not enough: the gateway answers 200 with `unavailable`
 * items when a department fails, so every item must be a real answer (verified, invalid — the
 * data has revoked certificates —, not_found or mismatch), and a direct answer must be a JWS.
 */
export function answerIsGood(kind: RequestKind, status: number, body: string): boolean {
  if (status !== 200) return false;
  if (kind === "direct") return body.split(".").length === 3;
  const good = body.match(/"status":"(verified|invalid|not_found|mismatch)"/g)?.length ?? 0;
  return good === itemsPerRequest(kind) && body.includes('"receipt":"');
}

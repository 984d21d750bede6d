/**
 * createClient(): a typed client for the Huren gateway (types generated from its OpenAPI document)
 * that signs every request as PROTOCOL §2 requires.
 */
import createFetchClient, { type Client } from "openapi-fetch";
import type { paths } from "./schema.ts";
import { signRequest, toSigner, type MemberKey, type Signer } from "./sign.ts";
import { GatewayError, type Problem } from "./errors.ts";
import { verifyReceipt, type ReceiptCheck, type ReceiptPayload } from "./receipts.ts";
import { verifyProofBundle, type ProofCheck, type ProofPolicy } from "./proofs.ts";

export interface ClientOptions {
  /** Base URL of the gateway, e.g. `https://huren.changchun.gov.cn`. */
  gateway: string;
  /** The gateway's id (`aud` of requests, `iss` of receipts); default: the gateway URL's host name. */
  gatewayId?: string;
  /** This member's id, e.g. `nanguan-window-01`. */
  member: string;
  /** The member's private key (a private JWK with `kid`, or an imported CryptoKey). */
  key: MemberKey;
  /** The natural person acting (clerk or auditor staff id); required for windows and auditors. */
  uid?: string;
  /** A fetch to use instead of the global one (tests, proxies, Workers service bindings). */
  fetch?: (request: Request) => Promise<Response>;
  now?: () => Date;
}

export type VerificationRequest = paths["/v1/verifications"]["post"]["requestBody"]["content"]["application/json"];
export type VerificationAnswer = paths["/v1/verifications"]["post"]["responses"][200]["content"]["application/json"];

export interface HurenClient {
  /** The raw typed client (openapi-fetch) for every operation of the gateway; requests are signed. */
  api: Client<paths>;
  verifications: {
    /** POST /v1/verifications; throws GatewayError on a problem answer. */
    create(body: VerificationRequest): Promise<VerificationAnswer>;
  };
  receipts: {
    /** Offline check of a receipt (see verifyReceipt). */
    verify(receipt: string, check: ReceiptCheck): Promise<ReceiptPayload>;
    /** The gateway's current JWKS, to keep with filed receipts. */
    jwks(): Promise<{ keys: Record<string, unknown>[] }>;
  };
  /** The same client acting for another clerk (the `uid` claim). */
  withUid(uid: string): HurenClient;
  proofs: {
    /** The tlog-proof bundle for a ledger index (a window may fetch its own entries). */
    fetch(index: number): Promise<string>;
    verify(bundle: string, policy: ProofPolicy): Promise<ProofCheck>;
  };
}

async function problemOf(res: Response): Promise<Problem | undefined> {
  try {
    return (await res.clone().json()) as Problem;
  } catch {
    return undefined;
  }
}

/**
 * @example
 * const huren = createClient({ gateway: "http://127.0.0.1:8787", member: "nanguan-window-01", key: jwk, uid: "clerk-007" });
 * const answer = await huren.verifications.create({ matter: "220100-public-rental-housing", case: "NG-2026-000123",
 *   subject: { type: "resident-id", id, name: "张三" } });
 * await huren.receipts.verify(answer.receipt, { jwks, opening: answer.subjectOpening, subject });
 */
export function createClient(options: ClientOptions): HurenClient {
  const baseFetch = options.fetch ?? ((r: Request) => globalThis.fetch(r));
  const gatewayId = options.gatewayId ?? new URL(options.gateway).hostname;
  let signer: Promise<Signer> | undefined;
  const authorization = async (method: string, pathAndQuery: string, body: Uint8Array): Promise<string> => {
    signer ??= toSigner(options.key);
    const token = await signRequest(await signer, { member: options.member, gatewayId, method, pathAndQuery, body, uid: options.uid, ...(options.now ? { now: options.now } : {}) });
    return `Bearer ${token}`;
  };

  const api = createFetchClient<paths>({ baseUrl: options.gateway.replace(/\/$/, ""), fetch: baseFetch });
  api.use({
    async onRequest({ request }) {
      const url = new URL(request.url);
      const body = new Uint8Array(await request.clone().arrayBuffer());
      request.headers.set("authorization", await authorization(request.method, url.pathname + url.search, body));
      return request;
    },
  });

  const unsigned = async (path: string): Promise<Response> => {
    const res = await baseFetch(new Request(new URL(path, options.gateway)));
    if (!res.ok) throw new GatewayError(res.status, await problemOf(res));
    return res;
  };

  return {
    api,
    verifications: {
      async create(body) {
        const { data, error, response } = await api.POST("/v1/verifications", { body });
        if (!data) throw new GatewayError(response.status, typeof error === "object" && error !== null ? (error as Problem) : undefined);
        return data;
      },
    },
    receipts: {
      verify: verifyReceipt,
      jwks: async () => (await (await unsigned("/.well-known/jwks.json")).json()) as { keys: Record<string, unknown>[] },
    },
    proofs: {
      async fetch(index) {
        const path = `/v1/ledger/proofs/bundle?index=${index}`;
        const res = await baseFetch(new Request(new URL(path, options.gateway), { headers: { authorization: await authorization("GET", path, new Uint8Array()) } }));
        if (!res.ok) throw new GatewayError(res.status, await problemOf(res));
        return res.text();
      },
      verify: verifyProofBundle,
    },
    withUid: (uid) => createClient({ ...options, uid }),
  };
}

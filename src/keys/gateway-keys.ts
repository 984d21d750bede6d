/**
 * The gateway's own JWS key: signs receipts and outbound department requests, published at
 * /.well-known/jwks.json. Generated on first start and stored sealed in the database, so every
 * gateway process sharing the database signs with the same key; or supplied by the operator.
 */
import { and, eq, inArray, isNull } from "drizzle-orm";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import { importSigner } from "#crypto-native";
import { algOfJwk, type SignatureAlg } from "../crypto/primitives.ts";
import { gatewayKeys } from "../db/schema.ts";
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";

export interface JwsSigner {
  readonly kid: string;
  readonly alg: "EdDSA" | "ES256";
  /** Signs a JSON payload as a compact JWS with the given `typ`. */
  signJson(typ: string, payload: Record<string, unknown>): Promise<string>;
}

export interface GatewayKeys {
  signer: JwsSigner;
  /** Every key that ever signed (retired ones too: old receipts must stay verifiable). */
  jwks(): Promise<{ keys: JWK[] }>;
}

const PURPOSE = "jws";
/** Public halves of operator-supplied keys: kept so receipts they signed stay verifiable after rotation. */
const PUBLISHED = "jws-configured";

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

const b64u = (data: string | Uint8Array): string => Buffer.from(data).toString("base64url");

/**
 * Compact JWS straight over `#crypto-native` (node:crypto on Node, WebCrypto on Workers) with the
 * key imported once: the same bytes jose's CompactSign produces for this header (`{alg, kid, typ}`
 * in that order) and payload, at a fraction of its CPU on Node (it is on every verification at
 * least twice: the receipt and each department request). Buffer is there on Workers via nodejs_compat.
 */
async function makeSigner(privateJwk: JWK): Promise<JwsSigner> {
  let alg: SignatureAlg;
  try {
    alg = algOfJwk(privateJwk);
  } catch {
    throw new Error("signing key must be Ed25519 or P-256");
  }
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(publicPart(privateJwk)));
  const key = await importSigner(privateJwk);
  const headers = new Map<string, string>();
  const header = (typ: string) => {
    let encoded = headers.get(typ);
    if (encoded === undefined) {
      encoded = b64u(JSON.stringify({ alg, kid, typ }));
      if (headers.size < 16) headers.set(typ, encoded);
    }
    return encoded;
  };
  return {
    kid,
    alg,
    async signJson(typ, payload) {
      const input = `${header(typ)}.${b64u(JSON.stringify(payload))}`;
      return `${input}.${b64u(await key.sign(Buffer.from(input, "latin1")))}`; // input is ASCII
    },
  };
}

/**
 * Loads the active key, creating it if this is the first start. Safe when several processes
 * start at once: a unique index admits one active key per purpose, losers re-read it.
 * @example
 * const keys = await loadGatewayKeys({ db, secrets, configuredKey: process.env.HUREN_SIGNING_KEY });
 * const jws = await keys.signer.signJson("huren-receipt+jwt", { iss: "huren.localhost" });
 */
export async function loadGatewayKeys(deps: {
  db: Db;
  secrets: Secrets;
  configuredKey?: string | undefined;
}): Promise<GatewayKeys> {
  const { db, secrets } = deps;
  const storedPublic = async () =>
    (await db.select({ jwk: gatewayKeys.publicJwk }).from(gatewayKeys).where(inArray(gatewayKeys.purpose, [PURPOSE, PUBLISHED]))).map(
      (r) => r.jwk as JWK,
    );

  if (deps.configuredKey) {
    let jwk: JWK;
    try {
      jwk = JSON.parse(deps.configuredKey) as JWK;
    } catch {
      throw new Error("HUREN_SIGNING_KEY is not a JSON private JWK");
    }
    if (!jwk.d) throw new Error("HUREN_SIGNING_KEY must be a private JWK (with d)");
    const signer = await makeSigner(jwk);
    const pub = { ...publicPart(jwk), kid: signer.kid, alg: signer.alg, use: "sig" };
    // Only the public half is stored (no private key in the database for configured keys).
    await db.insert(gatewayKeys).values({ kid: signer.kid, purpose: PUBLISHED, alg: signer.alg, publicJwk: pub, sealedPrivateKey: "", retiredAt: new Date(0) }).onConflictDoNothing();
    return {
      signer,
      jwks: async () => ({ keys: [pub, ...(await storedPublic()).filter((k) => k.kid !== signer.kid)] }),
    };
  }

  const active = () =>
    db
      .select()
      .from(gatewayKeys)
      .where(and(eq(gatewayKeys.purpose, PURPOSE), isNull(gatewayKeys.retiredAt)))
      .limit(1);

  let [row] = await active();
  if (!row) {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(publicPart(jwk));
    await db
      .insert(gatewayKeys)
      .values({
        kid,
        purpose: PURPOSE,
        alg: "EdDSA",
        publicJwk: { ...publicPart(jwk), kid, alg: "EdDSA", use: "sig" },
        sealedPrivateKey: await secrets.seal(JSON.stringify({ ...jwk, kid })),
      })
      .onConflictDoNothing();
    [row] = await active();
    if (!row) throw new Error("could not create the gateway signing key");
  }
  let sealed: string;
  try {
    sealed = await secrets.unseal(row.sealedPrivateKey);
  } catch {
    throw new Error("cannot open the stored gateway signing key: HUREN_SECRET is not the secret it was sealed with");
  }
  const signer = await makeSigner(JSON.parse(sealed) as JWK);
  return { signer, jwks: async () => ({ keys: await storedPublic() }) };
}

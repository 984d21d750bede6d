/**
 * Where the receipt-signing private key lives, behind one small interface so a KMS or an HSM
 * can stand in without the gateway changing: the source hands out the public JWK and a signer;
 * the private key itself never has to leave it. Huren ships three sources: the sealed store
 * (generated, sealed under HUREN_SECRET in `gateway_keys`, rotated by `huren keys rotate`), an
 * environment variable (HUREN_SIGNING_KEY) and a file (HUREN_SIGNING_KEY_FILE), both a private
 * JWK. A KMS source would implement `load()` with its public-key call and a `sign` that calls
 * its sign API over the JWS signing input (Ed25519, or ECDSA P-256/SHA-256 as r ‖ s).
 */
import { calculateJwkThumbprint, type JWK } from "jose";
import { importSigner } from "#crypto-native";
import { algOfJwk, type Signer } from "../crypto/primitives.ts";

export interface LoadedKey {
  /** Public JWK with `kid` and `alg` (EdDSA or ES256). */
  publicJwk: JWK;
  signer: Signer;
}

export interface SigningKeySource {
  /** For logs, errors and the key-rotation ledger entry: "sealed store", "file /etc/huren/receipt.jwk", … */
  readonly description: string;
  /** Whether `huren keys rotate` can make a new key here (only the sealed store generates keys). */
  readonly rotatable: boolean;
  load(): Promise<LoadedKey>;
}

/** The public members of a JWK: never a private part. */
export function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

/**
 * A key from a private JWK (text): the env-variable and file sources, and the sealed store once
 * unsealed. `kid` defaults to the RFC 7638 thumbprint.
 * @example
 * const loaded = await loadJwk(process.env.HUREN_SIGNING_KEY!, "HUREN_SIGNING_KEY");
 */
export async function loadJwk(text: string, what: string): Promise<LoadedKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error(`${what} is not a JSON private JWK`);
  }
  if (!jwk.d) throw new Error(`${what} must be a private JWK (with d)`);
  let alg: "EdDSA" | "ES256";
  try {
    alg = algOfJwk(jwk);
  } catch {
    throw new Error(`${what}: the signing key must be Ed25519 or P-256`);
  }
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicPart(jwk)));
  return { publicJwk: { ...publicPart(jwk), kid, alg, use: "sig" }, signer: await importSigner(jwk) };
}

/**
 * @example
 * const source = envKeySource(config.signingKey, "HUREN_SIGNING_KEY");
 */
export const envKeySource = (text: string, variable: string): SigningKeySource => ({
  description: `environment variable ${variable}`,
  rotatable: false,
  load: () => loadJwk(text, variable),
});

/**
 * @example
 * const source = fileKeySource("/etc/huren/receipt.jwk", (p) => readFile(p, "utf8"));
 */
export const fileKeySource = (path: string, readFile: (path: string) => Promise<string>): SigningKeySource => ({
  description: `file ${path}`,
  rotatable: false,
  load: async () =>
    loadJwk(
      await readFile(path).catch((err: unknown) => {
        throw new Error(`cannot read the signing key file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }),
      path,
    ),
});

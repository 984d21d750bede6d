/**
 * Everything keyed by the master secret (HUREN_SECRET), which never lives in the database:
 * - the subject reference: HMAC-SHA256 over `type:id`, so the ledger and consents can be
 *   searched by person without storing who the person is;
 * - sealing: AES-256-GCM for private keys and adapter secrets stored in the database.
 * Keys are derived with HKDF so one secret serves both without reuse.
 *
 * The subject reference is computed on every verification, so its key is derived once as bytes
 * and used through `#crypto-native` (node:crypto's HMAC on Node); the result is the same HMAC
 * WebCrypto computed before (test/crypto-secrets.test.ts pins it: ledgers and consents name people
 * by it). Sealing is rare and stays on WebCrypto.
 */
import type { webcrypto } from "node:crypto";
import { hmacSha256Key } from "#crypto-native";
import { b64url, fromB64url, utf8 } from "./encoding.ts";

export interface Secrets {
  /** Keyed reference of a person or company; stable across processes sharing the secret. */
  subjectRef(subject: { type: string; id: string }): Promise<string>;
  seal(plaintext: string): Promise<string>;
  unseal(sealed: string): Promise<string>;
}

const SEAL_VERSION = "v1";

/**
 * @example
 * const secrets = await createSecrets(b64url(crypto.getRandomValues(new Uint8Array(32))));
 * await secrets.subjectRef({ type: "resident-id", id: "11010519491231002X" }); // "sr1_…"
 */
export async function createSecrets(secret: string): Promise<Secrets> {
  let raw: Uint8Array;
  try {
    raw = fromB64url(secret.trim());
  } catch {
    throw new Error("HUREN_SECRET must be base64url (generate one with `npm run huren -- secret`)");
  }
  if (raw.length < 32) throw new Error("HUREN_SECRET must be base64url of at least 32 random bytes");
  const master = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey", "deriveBits"]);
  const hkdf = (info: string): webcrypto.HkdfParams => ({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8(info) });
  // 256 bits: the key deriveKey made for { name: "HMAC", hash: "SHA-256", length: 256 }.
  const subjectKey = await hmacSha256Key(new Uint8Array(await crypto.subtle.deriveBits(hkdf("huren subject-ref v1"), master, 256)));
  const sealKey = await crypto.subtle.deriveKey(hkdf("huren seal v1"), master, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);

  return {
    async subjectRef(subject) {
      return `sr1_${b64url(await subjectKey.mac(`${subject.type}:${subject.id}`))}`;
    },
    async seal(plaintext) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, sealKey, utf8(plaintext));
      return `${SEAL_VERSION}.${b64url(iv)}.${b64url(new Uint8Array(ct))}`;
    },
    async unseal(sealed) {
      const [version, iv, ct] = sealed.split(".");
      if (version !== SEAL_VERSION || !iv || !ct) throw new Error("not a sealed value");
      const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromB64url(iv) }, sealKey, fromB64url(ct));
      return new TextDecoder().decode(pt);
    },
  };
}

/** A fresh master secret (what `huren secret` prints and the embedded default writes to disk). */
export const generateSecret = (): string => b64url(crypto.getRandomValues(new Uint8Array(32)));

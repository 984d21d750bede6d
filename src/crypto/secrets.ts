/**
 * Everything keyed by the master secret (HUREN_SECRET), which never lives in the database:
 * - the subject reference: HMAC-SHA256 over `type:id`, so the ledger and consents can be
 *   searched by person without storing who the person is;
 * - sealing: AES-256-GCM for private keys and adapter secrets stored in the database.
 * Keys are derived with HKDF so one secret serves both without reuse.
 */
import type { webcrypto } from "node:crypto";
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
  const master = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  const derive = (info: string, algorithm: webcrypto.HmacImportParams | webcrypto.AesKeyGenParams, usages: webcrypto.KeyUsage[]) =>
    crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8(info) },
      master,
      algorithm,
      false,
      usages,
    );
  const hmacKey = await derive("huren subject-ref v1", { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]);
  const sealKey = await derive("huren seal v1", { name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]);

  return {
    async subjectRef(subject) {
      const mac = await crypto.subtle.sign("HMAC", hmacKey, utf8(`${subject.type}:${subject.id}`));
      return `sr1_${b64url(new Uint8Array(mac))}`;
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

/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), the Ed25519 `cosignature/v1` type:
 * a witness's note signature over a checkpoint, saying "as of this time, the largest consistent
 * tree I have seen for this origin has this root". The one implementation of it, used by the
 * gateway's witness client (to check what witnesses answer), by `huren witness` (to sign) and by
 * the offline receipt verifier (which witnesses cosigned, and whether they reach the quorum).
 * Pure WebCrypto plus SHA-256, no I/O.
 *
 *   key ID  = SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]
 *   line    = "— " name " " base64(key ID ‖ u64be timestamp ‖ Ed25519 signature)
 *   message = "cosignature/v1\n" "time " timestamp "\n" ‖ the checkpoint's note text
 */
import { createHash, type webcrypto } from "node:crypto";
import { fail, fromBase64, toBase64 } from "./note-codec.ts";
import type { NoteSignature } from "./note.ts";

const ALG_COSIGNATURE_V1 = 0x04;
const SIG_PREFIX = "\u2014 ";
const BLOB_SIZE = 4 + 8 + 64;

export interface CosignerKey {
  name: string;
  keyId: number;
  publicKey: Uint8Array;
  /** The vkey text, `name+hex8+base64(0x04 ‖ key)`. */
  vkey: string;
}

export interface CosignerSigner extends CosignerKey {
  privateKey: webcrypto.CryptoKey;
}

const isValidName = (name: string): boolean => name !== "" && !/[+\p{White_Space}]/u.test(name) && !/\p{Cs}/u.test(name);

function keyId(name: string, publicKey: Uint8Array): number {
  return createHash("sha256").update(`${name}\n`, "utf8").update(Uint8Array.of(ALG_COSIGNATURE_V1)).update(publicKey).digest().readUInt32BE(0);
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

function vkeyOf(name: string, publicKey: Uint8Array): string {
  return `${name}+${hex8(keyId(name, publicKey))}+${toBase64(Uint8Array.of(ALG_COSIGNATURE_V1, ...publicKey))}`;
}

/**
 * Parses a cosigner vkey (signature type 0x04), checking its key ID. Throws NoteError malformed-key.
 * @example
 * const w = parseCosignerKey("audit.changchun.gov.cn/witness+1a2b3c4d+BP…");
 */
export function parseCosignerKey(vkey: string): CosignerKey {
  const [name, hash, key, ...rest] = vkey.split("+");
  // base64 may contain "+": rejoin what follows the second separator.
  const keyText = [key, ...rest].join("+");
  const bytes = fromBase64(keyText);
  if (!name || !isValidName(name)) fail("malformed-key", "witness vkey has an invalid name");
  if (!/^[0-9a-f]{8}$/i.test(hash ?? "")) fail("malformed-key", "witness vkey key ID is not 8 hex digits");
  if (!bytes || bytes.length !== 33 || bytes[0] !== ALG_COSIGNATURE_V1) fail("malformed-key", "witness vkey is not a cosignature/v1 Ed25519 key (0x04 ‖ 32 bytes)");
  const publicKey = bytes!.subarray(1);
  if (keyId(name!, publicKey) !== parseInt(hash!, 16)) fail("malformed-key", "witness vkey key ID does not match its key");
  return { name: name!, keyId: parseInt(hash!, 16), publicKey, vkey };
}

/**
 * A cosigner from an Ed25519 private JWK (`--key FILE`, or the witness's generated key).
 * @example
 * const signer = await cosignerFromJwk("audit.example/witness", JSON.parse(await readFile(path, "utf8")));
 */
export async function cosignerFromJwk(name: string, jwk: webcrypto.JsonWebKey): Promise<CosignerSigner> {
  if (!isValidName(name)) fail("malformed-key", "witness name must be non-empty, without spaces or +");
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.d !== "string" || typeof jwk.x !== "string") {
    fail("malformed-key", "the witness key must be an Ed25519 private JWK (kty OKP, crv Ed25519, d, x)");
  }
  const publicKey = new Uint8Array(Buffer.from(jwk.x!, "base64url"));
  const privateKey = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", d: jwk.d!, x: jwk.x! }, { name: "Ed25519" }, false, ["sign"]);
  return { name, keyId: keyId(name, publicKey), publicKey, vkey: vkeyOf(name, publicKey), privateKey };
}

/** A fresh Ed25519 private JWK for a witness. */
export async function generateCosignerJwk(): Promise<webcrypto.JsonWebKey> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const { kty, crv, d, x } = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { kty, crv, d, x };
}

const message = (noteText: string, timestamp: number) => new TextEncoder().encode(`cosignature/v1\ntime ${timestamp}\n${noteText}`);

/**
 * The cosignature line (without its newline) over checkpoint note text `noteText` (ending in
 * "\n", no signature lines) at POSIX time `timestamp` (seconds).
 * @example
 * const line = await signCosignature(signer, opened.text, Math.floor(now.getTime() / 1000));
 */
export async function signCosignature(signer: CosignerSigner, noteText: string, timestamp: number): Promise<string> {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError("cosignature timestamp must be a non-negative integer");
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, signer.privateKey, message(noteText, timestamp)));
  const blob = new Uint8Array(BLOB_SIZE);
  const view = new DataView(blob.buffer);
  view.setUint32(0, signer.keyId);
  view.setBigUint64(4, BigInt(timestamp));
  blob.set(sig, 12);
  return `${SIG_PREFIX}${signer.name} ${toBase64(blob)}`;
}

export type CosignatureCheck = { ok: true; timestamp: number } | { ok: false; detail: string };

/**
 * Checks one note signature (as `openNote` returns it) as `key`'s cosignature/v1 on `noteText`,
 * saying why when it is not.
 * @example
 * const check = await checkCosignature(opened.text, opened.unverified[0], parseCosignerKey(vkey));
 */
export async function checkCosignature(noteText: string, sig: NoteSignature, key: CosignerKey): Promise<CosignatureCheck> {
  if (sig.name !== key.name || sig.keyHash !== key.keyId) return { ok: false, detail: `the line is not by ${key.name}` };
  const blob = fromBase64(sig.base64);
  if (blob?.length !== BLOB_SIZE) return { ok: false, detail: `the cosignature by ${key.name} is not 76 bytes (key ID, timestamp, Ed25519 signature)` };
  const timestamp = new DataView(blob.buffer, blob.byteOffset).getBigUint64(4);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, detail: `the cosignature by ${key.name} has a timestamp beyond 2^53` };
  const publicKey = await crypto.subtle.importKey("raw", key.publicKey, { name: "Ed25519" }, false, ["verify"]);
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, blob.subarray(12), message(noteText, Number(timestamp)));
  return ok ? { ok: true, timestamp: Number(timestamp) } : { ok: false, detail: `the cosignature by ${key.name} does not verify over this checkpoint` };
}

/**
 * Checks one signature line against a witness key: the name and key ID must be the witness's
 * and the Ed25519 signature must verify. Returns its timestamp, or undefined for a line that is
 * not this witness's valid cosignature (another key's lines are simply not ours, not an error).
 * @example
 * const t = await verifyCosignature(witness, cp.text, line); // seconds, or undefined
 */
export async function verifyCosignature(key: CosignerKey, noteText: string, line: string): Promise<number | undefined> {
  if (!line.startsWith(SIG_PREFIX)) return undefined;
  const [name, b64, extra] = line.slice(SIG_PREFIX.length).split(" ");
  if (name === undefined || b64 === undefined || extra !== undefined) return undefined;
  const blob = fromBase64(b64);
  if (!blob || blob.length < 4) return undefined;
  const keyHash = new DataView(blob.buffer, blob.byteOffset).getUint32(0);
  const check = await checkCosignature(noteText, { name, keyHash, base64: b64 }, key);
  return check.ok ? check.timestamp : undefined;
}

export interface QuorumResult {
  /** Witnesses (vkeys) whose cosignature verified, each once. */
  cosignedBy: string[];
  /** Per configured witness that did not count: why. */
  missing: { vkey: string; detail: string }[];
}

/**
 * Which of `witnesses` cosigned `noteText`, among the note's signature lines the log key did not
 * make (`openNote(...).unverified`). A witness counts once however many lines it has.
 * @example
 * const { cosignedBy } = await witnessCosignatures(opened.text, opened.unverified, vkeys.map(parseCosignerKey));
 * if (cosignedBy.length < quorum) fail();
 */
export async function witnessCosignatures(noteText: string, lines: NoteSignature[], witnesses: CosignerKey[]): Promise<QuorumResult> {
  const cosignedBy: string[] = [];
  const missing: { vkey: string; detail: string }[] = [];
  for (const w of witnesses) {
    const mine = lines.filter((l) => l.name === w.name && l.keyHash === w.keyId);
    let why = mine.length === 0 ? `no cosignature by ${w.name}` : "";
    for (const line of mine) {
      const check = await checkCosignature(noteText, line, w);
      why = check.ok ? "" : check.detail;
      if (check.ok) break;
    }
    if (why) missing.push({ vkey: w.vkey, detail: why });
    else cosignedBy.push(w.vkey);
  }
  return { cosignedBy, missing };
}

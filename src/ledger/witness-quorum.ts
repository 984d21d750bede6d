/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), Ed25519 `cosignature/v1`: a
 * witness's note signature on a checkpoint, over
 *
 *   "cosignature/v1\n" ‖ "time <POSIX seconds>\n" ‖ the checkpoint note text
 *
 * with the signature blob keyID(4) ‖ timestamp(8, big-endian) ‖ Ed25519 signature(64), and
 * keyID = SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]. Witness keys are C2SP vkeys of
 * signature type 0x04: `name+hex8+base64(0x04 ‖ key)`.
 *
 * Pure (no I/O). Here for the offline receipt verifier (`huren receipt verify`): which of the
 * configured witnesses cosigned a checkpoint, and whether they reach the quorum. (`cosign` and
 * `generateWitnessKey` make cosignatures for its tests.)
 */
import { createHash, type webcrypto } from "node:crypto";
import { fromBase64, toBase64 } from "./note-codec.ts";
import type { NoteSignature } from "./note.ts";

const ALG_COSIGNATURE_V1 = 0x04;
const PKCS8_ED25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

export interface WitnessKey {
  name: string;
  keyHash: number;
  publicKey: Uint8Array;
  /** The vkey text it was parsed from. */
  vkey: string;
}

const keyHashOf = (name: string, publicKey: Uint8Array): number =>
  createHash("sha256").update(`${name}\n`, "utf8").update(Uint8Array.of(ALG_COSIGNATURE_V1)).update(publicKey).digest().readUInt32BE(0);

/**
 * Parses a witness vkey (signature type 0x04), checking its key hash. Throws RangeError.
 * @example
 * const w = parseWitnessKey("audit.example/w1+1a2b3c4d+BG…");
 */
export function parseWitnessKey(vkey: string): WitnessKey {
  const text = vkey.trim();
  const i = text.indexOf("+");
  const j = i < 0 ? -1 : text.indexOf("+", i + 1);
  if (i <= 0 || j < 0) throw new RangeError(`witness key ${text} is not name+hash+key`);
  const name = text.slice(0, i);
  const hashText = text.slice(i + 1, j);
  const key = fromBase64(text.slice(j + 1));
  if (/[+\s]/u.test(name)) throw new RangeError(`witness key ${text} has an invalid name`);
  if (!/^[0-9a-f]{8}$/i.test(hashText)) throw new RangeError(`witness key ${text}: key hash is not 8 hex digits`);
  if (key?.length !== 33 || key[0] !== ALG_COSIGNATURE_V1) throw new RangeError(`witness key ${text} is not a cosignature/v1 key (0x04 ‖ 32-byte Ed25519 key)`);
  const publicKey = key.subarray(1);
  if (keyHashOf(name, publicKey) !== parseInt(hashText, 16)) throw new RangeError(`witness key ${text}: key hash does not match the key`);
  return { name, keyHash: parseInt(hashText, 16), publicKey, vkey: text };
}

/** The message a cosignature/v1 signs: header, time line, then the checkpoint text. */
export function cosignedMessage(checkpointText: string, timestamp: number): Uint8Array {
  return new TextEncoder().encode(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`);
}

export type CosignatureCheck = { ok: true; timestamp: number } | { ok: false; detail: string };

/**
 * Verifies one note signature as `witness`'s cosignature/v1 on `checkpointText` (the note text,
 * ending in "\n", without signature lines).
 * @example
 * const check = await verifyCosignature(opened.text, opened.unverified[0], parseWitnessKey(vkey));
 */
export async function verifyCosignature(checkpointText: string, sig: NoteSignature, witness: WitnessKey): Promise<CosignatureCheck> {
  if (sig.name !== witness.name || sig.keyHash !== witness.keyHash) return { ok: false, detail: `the line is not by ${witness.name}` };
  const blob = fromBase64(sig.base64);
  if (blob?.length !== 4 + 8 + 64) return { ok: false, detail: `the cosignature by ${witness.name} is not 76 bytes (key ID, timestamp, Ed25519 signature)` };
  const view = new DataView(blob.buffer, blob.byteOffset);
  const high = view.getUint32(4);
  const timestamp = high * 2 ** 32 + view.getUint32(8);
  if (high >= 2 ** 21) return { ok: false, detail: `the cosignature by ${witness.name} has a timestamp beyond 2^53` };
  const key = await crypto.subtle.importKey("raw", witness.publicKey, { name: "Ed25519" }, false, ["verify"]);
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, blob.subarray(12), cosignedMessage(checkpointText, timestamp));
  return ok ? { ok: true, timestamp } : { ok: false, detail: `the cosignature by ${witness.name} does not verify over this checkpoint` };
}

/**
 * Signs a checkpoint as a cosignature/v1 witness: the note signature line
 * `— <name> base64(keyID ‖ timestamp ‖ signature)`. `seed` is the 32-byte Ed25519 private key.
 * @example
 * const line = await cosign(opened.text, { name, seed }, Math.floor(Date.now() / 1000));
 */
export async function cosign(checkpointText: string, key: { name: string; seed: Uint8Array; publicKey: Uint8Array }, timestamp: number): Promise<string> {
  const pkcs8 = new Uint8Array(PKCS8_ED25519.length + 32);
  pkcs8.set(PKCS8_ED25519);
  pkcs8.set(key.seed, PKCS8_ED25519.length);
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, cosignedMessage(checkpointText, timestamp)));
  const blob = new Uint8Array(76);
  const view = new DataView(blob.buffer);
  view.setUint32(0, keyHashOf(key.name, key.publicKey));
  view.setUint32(4, Math.floor(timestamp / 2 ** 32));
  view.setUint32(8, timestamp >>> 0);
  blob.set(sig, 12);
  return `\u2014 ${key.name} ${toBase64(blob)}`;
}

/**
 * A fresh witness key pair: its vkey and the seed to sign with.
 * @example
 * const { vkey, seed, publicKey } = await generateWitnessKey("audit.example/w1");
 */
export async function generateWitnessKey(name: string): Promise<{ vkey: string; seed: Uint8Array; publicKey: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const seed = new Uint8Array(Buffer.from(jwk.d ?? "", "base64url"));
  const publicKey = new Uint8Array(Buffer.from(jwk.x ?? "", "base64url"));
  const vkey = `${name}+${keyHashOf(name, publicKey).toString(16).padStart(8, "0")}+${toBase64(Uint8Array.of(ALG_COSIGNATURE_V1, ...publicKey))}`;
  return { vkey, seed, publicKey };
}

export interface QuorumResult {
  /** Witnesses (vkeys) whose cosignature verified, each once. */
  cosignedBy: string[];
  /** Per configured witness that did not count: why. */
  missing: { vkey: string; detail: string }[];
}

/**
 * Which of `witnesses` cosigned `checkpointText`, among the note's signature lines the log key
 * did not make (`openNote(...).unverified`). A witness counts once however many lines it has.
 * @example
 * const { cosignedBy } = await witnessCosignatures(opened.text, opened.unverified, witnesses.map(parseWitnessKey));
 * if (cosignedBy.length < quorum) fail();
 */
export async function witnessCosignatures(checkpointText: string, lines: NoteSignature[], witnesses: WitnessKey[]): Promise<QuorumResult> {
  const cosignedBy: string[] = [];
  const missing: { vkey: string; detail: string }[] = [];
  for (const w of witnesses) {
    const mine = lines.filter((l) => l.name === w.name && l.keyHash === w.keyHash);
    if (mine.length === 0) {
      missing.push({ vkey: w.vkey, detail: `no cosignature by ${w.name}` });
      continue;
    }
    let why = "";
    for (const line of mine) {
      const check = await verifyCosignature(checkpointText, line, w);
      if (check.ok) {
        why = "";
        break;
      }
      why = check.detail;
    }
    if (why) missing.push({ vkey: w.vkey, detail: why });
    else cosignedBy.push(w.vkey);
  }
  return { cosignedBy, missing };
}

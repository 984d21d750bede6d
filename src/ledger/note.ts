/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, and C2SP tlog checkpoints
 * (https://c2sp.org/tlog-checkpoint): the ledger's signed tree heads, byte-compatible with Go's
 * golang.org/x/mod/sumdb/note so standard witnesses and verifiers can read them.
 *
 * Signing and verification use WebCrypto (`crypto.subtle`, Ed25519), present in Node 20 and in
 * Workers; key hashes use node:crypto's synchronous SHA-256 so key parsing stays synchronous.
 */
import { createHash, type webcrypto } from "node:crypto";
import { fail, fromBase64, isValidText, toBase64 } from "./note-codec.ts";

export { NoteError, type NoteErrorCode } from "./note-codec.ts";
export { formatCheckpoint, parseCheckpoint, type Checkpoint } from "./checkpoint.ts";

// Types only: the runtime object is the global `crypto` (Node 20 and Workers alike).
type CryptoKey = webcrypto.CryptoKey;

/** A parsed verifier (public) key. */
export interface VerifierKey {
  name: string;
  /** First 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ publicKey), big-endian. */
  keyHash: number;
  publicKey: Uint8Array;
}

/** A parsed signer key, ready to sign (the private key is imported non-extractable). */
export interface SignerKey extends VerifierKey {
  privateKey: CryptoKey;
}

/** One signature line of a note. */
export interface NoteSignature {
  name: string;
  keyHash: number;
  /** base64(keyHash ‖ signature), as on the line. */
  base64: string;
}

export interface OpenedNote {
  /** The signed text, ending in "\n". */
  text: string;
  /** Verified signatures, in note order. */
  signatures: NoteSignature[];
  /** Signatures from keys the caller did not supply (e.g. witnesses), left unchecked. */
  unverified: NoteSignature[];
}

const ALG_ED25519 = 0x01;
const SIG_PREFIX = "\u2014 "; // em dash + space
const MAX_SIGNATURES = 100; // as in Go: bound the work an adversarial note can cause
// DER header of a PKCS#8 Ed25519 private key; the 32-byte seed follows (RFC 8410 §7).
const PKCS8_ED25519 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** Go's isValidName: non-empty, no "+", no Unicode white space (which would break the lines). */
const isValidName = (name: string): boolean =>
  name !== "" && !/[+\p{White_Space}]/u.test(name) && !/\p{Cs}/u.test(name);

const hex8 = (n: number): string => n.toString(16).padStart(8, "0");

/** SHA-256(name ‖ "\n" ‖ 0x01 ‖ publicKey)[0:4] as a big-endian uint32. */
function computeKeyHash(name: string, publicKey: Uint8Array): number {
  const d = createHash("sha256").update(`${name}\n`, "utf8").update(Uint8Array.of(ALG_ED25519)).update(publicKey).digest();
  return d.readUInt32BE(0);
}

/** Splits `<name>+<hex8>+<base64>`; the base64 part may itself contain "+". */
function splitKey(text: string, what: string): { name: string; keyHash: number; key: Uint8Array } {
  const i = text.indexOf("+");
  const j = i < 0 ? -1 : text.indexOf("+", i + 1);
  if (j < 0) fail("malformed-key", `${what} is not of the form name+hash+key`);
  const name = text.slice(0, i);
  const hashText = text.slice(i + 1, j);
  const key = fromBase64(text.slice(j + 1));
  if (!isValidName(name)) fail("malformed-key", `${what} has an invalid name`);
  if (!/^[0-9a-fA-F]{8}$/.test(hashText)) fail("malformed-key", `${what} key hash is not 8 hex digits`);
  if (key === undefined || key.length !== 33 || key[0] !== ALG_ED25519) {
    fail("malformed-key", `${what} is not a base64 Ed25519 key (0x01 ‖ 32 bytes)`);
  }
  return { name, keyHash: parseInt(hashText, 16), key: key!.subarray(1) };
}

/**
 * Parses a verifier key `<name>+<hex8>+<base64(0x01 ‖ public key)>`, checking its key hash.
 * @example
 * const vk = parseVerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
 */
export function parseVerifierKey(text: string): VerifierKey {
  const { name, keyHash, key } = splitKey(text, "verifier key");
  if (computeKeyHash(name, key) !== keyHash) fail("malformed-key", "verifier key hash does not match its key");
  return { name, keyHash, publicKey: key };
}

/**
 * Parses a signer key `PRIVATE+KEY+<name>+<hex8>+<base64(0x01 ‖ seed)>`, deriving the public key
 * and checking the key hash against it.
 * @example
 * const sk = await parseSignerKey(env.LEDGER_SIGNER_KEY);
 */
export async function parseSignerKey(text: string): Promise<SignerKey> {
  const prefix = "PRIVATE+KEY+";
  if (!text.startsWith(prefix)) fail("malformed-key", "signer key does not start with PRIVATE+KEY+");
  const { name, keyHash, key: seed } = splitKey(text.slice(prefix.length), "signer key");
  const pkcs8 = new Uint8Array(PKCS8_ED25519.length + 32);
  pkcs8.set(PKCS8_ED25519);
  pkcs8.set(seed, PKCS8_ED25519.length);
  // WebCrypto has no "public key from seed"; a JWK export of the private key carries it as x.
  const extractable = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", extractable);
  const publicKey = fromBase64Url(jwk.x ?? "");
  if (publicKey.length !== 32) fail("malformed-key", "could not derive the Ed25519 public key");
  if (computeKeyHash(name, publicKey) !== keyHash) fail("malformed-key", "signer key hash does not match its key");
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  return { name, keyHash, publicKey, privateKey };
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(b64 + "===".slice((b64.length + 3) % 4)) ?? new Uint8Array(0);
}

/**
 * Generates a fresh Ed25519 key pair named `name`, as signer and verifier key texts.
 * @example
 * const { signerKey, verifierKey } = await generateSignerKey("huren.example.gov/ledger");
 */
export async function generateSignerKey(name: string): Promise<{ signerKey: string; verifierKey: string }> {
  if (!isValidName(name)) fail("malformed-key", "key name must be non-empty, without spaces or +");
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const seed = fromBase64Url(jwk.d ?? "");
  const publicKey = fromBase64Url(jwk.x ?? "");
  if (seed.length !== 32 || publicKey.length !== 32) fail("malformed-key", "unexpected Ed25519 JWK export");
  const hash = hex8(computeKeyHash(name, publicKey));
  const encode = (key: Uint8Array) => toBase64(Uint8Array.of(ALG_ED25519, ...key));
  return {
    signerKey: `PRIVATE+KEY+${name}+${hash}+${encode(seed)}`,
    verifierKey: `${name}+${hash}+${encode(publicKey)}`,
  };
}

/**
 * Signs `text` (which must end in "\n") with one or more signer keys, returning the note:
 * text, a blank line, then one `— <name> <base64(keyhash ‖ signature)>` line per signer.
 * Ed25519 is deterministic, so the same text and key always give the same note.
 * @example
 * const note = await signNote(formatCheckpoint({ origin, size, rootHash }), signerKeyText);
 */
export async function signNote(text: string, signers: string | SignerKey | Array<string | SignerKey>): Promise<string> {
  if (!text.endsWith("\n")) fail("malformed-note", "note text must end with a newline");
  if (!isValidText(text)) fail("malformed-note", "note text contains control characters or invalid UTF-16");
  const list = Array.isArray(signers) ? signers : [signers];
  if (list.length === 0) fail("malformed-note", "a note needs at least one signer");
  const message = new TextEncoder().encode(text);
  let lines = "";
  for (const s of list) {
    const key = typeof s === "string" ? await parseSignerKey(s) : s;
    const sig = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, message));
    const blob = new Uint8Array(4 + sig.length);
    new DataView(blob.buffer).setUint32(0, key.keyHash);
    blob.set(sig, 4);
    lines += `${SIG_PREFIX}${key.name} ${toBase64(blob)}\n`;
  }
  return `${text}\n${lines}`;
}

/**
 * Parses a signed note and verifies every signature made by one of `verifierKeys` (texts or
 * parsed). Signatures by other keys are returned as `unverified`. Throws NoteError:
 * `malformed-note` (not a signed note), `unknown-key` (no signature by a given key),
 * `bad-signature` (a given key's signature fails), `malformed-key` (a bad or ambiguous key).
 * @example
 * const { text } = await openNote(body, [env.LEDGER_VERIFIER_KEY]);
 * const cp = parseCheckpoint(text);
 */
export async function openNote(
  noteText: string,
  verifierKeys: Iterable<string | VerifierKey>,
): Promise<OpenedNote> {
  const known = new Map<string, VerifierKey>();
  for (const k of verifierKeys) {
    const key = typeof k === "string" ? parseVerifierKey(k) : k;
    const id = `${key.name}\n${key.keyHash}`;
    const prior = known.get(id);
    if (prior && toBase64(prior.publicKey) !== toBase64(key.publicKey)) {
      fail("malformed-key", `two different verifier keys share name ${key.name} and hash ${hex8(key.keyHash)}`);
    }
    known.set(id, key);
  }
  if (!isValidText(noteText)) fail("malformed-note", "note contains control characters or invalid UTF-16");
  // The signature block follows the *last* blank line; the text keeps its final newline.
  const split = noteText.lastIndexOf("\n\n");
  if (split < 0) fail("malformed-note", "note has no blank line before its signatures");
  const text = noteText.slice(0, split + 1);
  const block = noteText.slice(split + 2);
  if (block === "" || !block.endsWith("\n")) fail("malformed-note", "note signature block is empty or unterminated");

  const message = new TextEncoder().encode(text);
  const signatures: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  const seenUnverified = new Set<string>();
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) fail("malformed-note", `note has more than ${MAX_SIGNATURES} signatures`);
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) fail("malformed-note", "signature line does not start with an em dash and space");
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(" ");
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? "" : rest.slice(space + 1);
    const blob = fromBase64(b64);
    if (blob === undefined || b64 === "" || !isValidName(name) || blob.length < 5) {
      fail("malformed-note", "signature line is not `— <name> <base64>`");
    }
    const keyHash = new DataView(blob!.buffer, blob!.byteOffset).getUint32(0);
    const sig: NoteSignature = { name, keyHash, base64: b64 };
    const id = `${name}\n${keyHash}`;
    const key = known.get(id);
    if (!key) {
      // Witness cosignatures etc.: keep them for the caller, once each.
      if (!seenUnverified.has(line)) unverified.push(sig);
      seenUnverified.add(line);
      continue;
    }
    if (seen.has(id)) fail("malformed-note", `note has two signatures by ${name}+${hex8(keyHash)}`);
    seen.add(id);
    const raw = blob!.subarray(4);
    const ok = raw.length === 64 && (await verifyEd25519(key.publicKey, raw, message));
    if (!ok) fail("bad-signature", `signature by ${name}+${hex8(keyHash)} does not verify`);
    signatures.push(sig);
  }
  if (signatures.length === 0) fail("unknown-key", "note has no signature by any of the given verifier keys");
  return { text, signatures, unverified };
}

async function verifyEd25519(publicKey: Uint8Array, sig: Uint8Array, message: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, sig, message);
}

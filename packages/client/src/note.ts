/**
 * Just enough of C2SP signed-note and tlog-checkpoint to check a checkpoint offline: verifier keys
 * (vkeys), the log's Ed25519 signature (type 0x01) and witnesses' cosignature/v1 lines (type 0x04).
 */
import { buffer, bytesEqual, concat, fromBase64, sha256, utf8 } from "./bytes.ts";
import { VerifyError } from "./errors.ts";

export interface Vkey {
  name: string;
  keyHash: Uint8Array;
  type: number;
  publicKey: Uint8Array;
}

/** Parses `<name>+<hex8>+<base64(type ‖ key)>` and checks the key hash against the key. */
export async function parseVkey(text: string): Promise<Vkey> {
  const [name, hashHex, keyB64, ...rest] = text.trim().split("+");
  // Standard base64 may itself contain "+": glue the tail back together.
  const material = fromBase64([keyB64, ...rest].join("+"));
  if (!name || !hashHex || !/^[0-9a-f]{8}$/i.test(hashHex) || !material || material.length !== 33) throw new VerifyError("malformed", `not an Ed25519 vkey: ${text.slice(0, 40)}…`);
  const type = material[0]!;
  const publicKey = material.slice(1);
  const keyHash = (await sha256(concat(utf8(`${name}\n`), material))).slice(0, 4);
  if (keyHash.reduce((s, b) => s + b.toString(16).padStart(2, "0"), "") !== hashHex.toLowerCase()) throw new VerifyError("malformed", `vkey ${name}: the key hash does not match the key`);
  return { name, keyHash, type, publicKey };
}

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** The signed body, ending in a newline. */
  body: string;
  signatures: { name: string; data: Uint8Array }[];
}

export function parseCheckpointNote(text: string): Checkpoint {
  const split = text.indexOf("\n\n");
  if (split < 0 || !text.endsWith("\n")) throw new VerifyError("malformed", "the checkpoint is not a signed note");
  const body = text.slice(0, split + 1);
  const [origin, sizeText, rootText] = body.split("\n");
  const rootHash = fromBase64(rootText ?? "");
  if (!origin || !sizeText || !/^(0|[1-9][0-9]*)$/.test(sizeText) || !rootHash || rootHash.length !== 32) throw new VerifyError("malformed", "the checkpoint body is not origin, size, root hash");
  const signatures = text
    .slice(split + 2, -1)
    .split("\n")
    .map((line) => {
      const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
      const data = m ? fromBase64(m[2]!) : undefined;
      if (!m || !data || data.length < 5) throw new VerifyError("malformed", `not a note signature line: ${line.slice(0, 40)}`);
      return { name: m[1]!, data };
    });
  return { origin, size: Number(sizeText), rootHash, body, signatures };
}

const ed25519Verify = async (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> => {
  const key = await crypto.subtle.importKey("raw", buffer(publicKey), { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, buffer(signature), buffer(message));
};

const signaturesOf = (cp: Checkpoint, key: Vkey) => cp.signatures.filter((s) => s.name === key.name && bytesEqual(s.data.slice(0, 4), key.keyHash));

/** True when the log's key (type 0x01) signed this checkpoint. */
export async function hasLogSignature(cp: Checkpoint, key: Vkey): Promise<boolean> {
  if (key.type !== 0x01) throw new VerifyError("malformed", `log key ${key.name} is not an Ed25519 note key (type 0x01)`);
  for (const s of signaturesOf(cp, key)) if (s.data.length === 68 && (await ed25519Verify(key.publicKey, s.data.slice(4), utf8(cp.body)))) return true;
  return false;
}

/** True when the witness key (type 0x04) made a valid cosignature/v1 over this checkpoint. */
export async function hasCosignature(cp: Checkpoint, key: Vkey): Promise<boolean> {
  if (key.type !== 0x04) throw new VerifyError("malformed", `witness key ${key.name} is not an Ed25519 cosignature key (type 0x04)`);
  for (const s of signaturesOf(cp, key)) {
    if (s.data.length !== 4 + 8 + 64) continue;
    const time = new DataView(s.data.buffer, s.data.byteOffset + 4, 8).getBigUint64(0);
    const message = utf8(`cosignature/v1\ntime ${time}\n${cp.body}`);
    if (await ed25519Verify(key.publicKey, s.data.slice(12), message)) return true;
  }
  return false;
}

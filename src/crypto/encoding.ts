/** Small byte helpers shared by the crypto and HTTP modules (Node and Workers alike). */
import { sha256 } from "#crypto-native";

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function b64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromB64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * base64url SHA-256 of bytes or a UTF-8 string (the `bh` claim, request and receipt hashes);
 * node:crypto on Node, WebCrypto on Workers (`#crypto-native`).
 * @example await sha256b64url("abc") // "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
 */
export async function sha256b64url(data: string | Uint8Array): Promise<string> {
  return b64url(await sha256(data));
}

/**
 * Chunks (as read from a socket or stream) as one exactly-sized array, so its `.buffer` holds
 * the bytes and nothing else.
 * @example concatBytes([utf8("ab"), utf8("c")], 3) // bytes of "abc"
 */
export function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

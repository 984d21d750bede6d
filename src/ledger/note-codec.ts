/**
 * Shared by note.ts and checkpoint.ts (kept apart so neither imports the other): the error type
 * with its codes, strict standard base64, and the signed-note text rules.
 */

/** Distinct failure kinds, so callers can map them to problems without parsing messages. */
export type NoteErrorCode =
  | "malformed-key" // key text unparseable, wrong algorithm, or key hash does not match
  | "malformed-note" // note text or signature block not in signed-note form
  | "unknown-key" // no signature on the note is from any of the given verifier keys
  | "bad-signature" // a signature from a known key does not verify
  | "malformed-checkpoint"; // note text is not a tlog checkpoint

export class NoteError extends Error {
  readonly code: NoteErrorCode;
  constructor(code: NoteErrorCode, message: string) {
    super(message);
    this.name = "NoteError";
    this.code = code;
  }
}

/** Throws a NoteError; typed `never` so control flow narrows after it. */
export const fail = (code: NoteErrorCode, message: string): never => {
  throw new NoteError(code, message);
};

/** Note text must be UTF-8 without control characters other than newline (C2SP signed-note). */
export const isValidText = (text: string): boolean => !/[\u0000-\u0009\u000b-\u001f]|\p{Cs}/u.test(text);

export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Strict standard base64: padded, and canonical (so one value has exactly one spelling). */
export function fromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  let bin: string;
  try {
    bin = atob(text);
  } catch {
    return undefined;
  }
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : undefined;
}

/**
 * The person or organisation a verification is about: a resident identity number
 * (居民身份号码, GB 11643-1999) or a unified social credit code (统一社会信用代码, GB 32100-2015).
 *
 * Everything here is pure and runs unchanged on Node and Cloudflare Workers (no Buffer, no eval;
 * hashing through `#crypto-native`: node:crypto on Node, WebCrypto on Workers). Check digits are
 * verified at the edge so a clerk's typo is reported as a typo instead of travelling to a
 * department and coming back as "not found".
 */
import { z } from "zod";
import { hmacSha256Key } from "#crypto-native";
import { b64url, fromB64url } from "../crypto/encoding.ts";

export type SubjectType = "resident-id" | "uscc";
export interface Subject {
  type: SubjectType;
  /** Normalised form (see {@link normalizeSubjectId}): what departments are queried with. */
  id: string;
}

export const SUBJECT_TYPES = ["resident-id", "uscc"] as const satisfies readonly SubjectType[];

/* ------------------------------------------------------------------ normalisation */

/**
 * The canonical form of a typed-in id: NFKC (full-width digits and letters from Chinese input
 * methods become ASCII), trimmed, upper-cased (the standard check char is "X", not "x").
 * Validation always applies to this form.
 * @example normalizeSubjectId(" １１０１０５１９４９１２３１００２x ") // "11010519491231002X"
 */
export function normalizeSubjectId(id: string): string {
  return id.normalize("NFKC").trim().toUpperCase();
}

/* ------------------------------------------------------------------ resident id (GB 11643-1999) */

const RESIDENT_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const RESIDENT_CHECK = "10X98765432";

/** Why a resident id was rejected; `undefined` from {@link residentIdProblem} means valid. */
export type ResidentIdProblem = "length" | "format" | "check-digit" | "birth-date";

/** ISO 7064 MOD 11-2 check char for 17 digits (caller guarantees the digits). */
function residentCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17.charCodeAt(i) - 48) * RESIDENT_WEIGHTS[i]!;
  return RESIDENT_CHECK[sum % 11]!;
}

/**
 * "Today" as a YYYYMMDD number in China Standard Time (UTC+8, no DST): birth dates are local
 * dates, so someone born this morning in Beijing must not be "in the future" at 01:00 UTC+8.
 */
function chinaToday(now: Date): number {
  const d = new Date(now.getTime() + 8 * 3600_000);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

function plausibleBirthDate(yyyymmdd: string, now: Date): boolean {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (y < 1900 || m < 1 || m > 12 || d < 1) return false;
  // Date.UTC rolls 0230 over to 0302; a real calendar date survives the round trip.
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  return Number(yyyymmdd) <= chinaToday(now);
}

/**
 * Why `id` is not a valid 18-char resident identity number, or `undefined` if it is.
 * The id must already be normalised (upper-case "X").
 * @example residentIdProblem("11010519491231002X") // undefined
 * @example residentIdProblem("110105194912310021") // "check-digit"
 * @example residentIdProblem("110105199002300028") // "birth-date" (19900230 does not exist)
 */
export function residentIdProblem(id: string, now: Date = new Date()): ResidentIdProblem | undefined {
  if (id.length !== 18) return "length";
  if (!/^\d{17}[\dX]$/.test(id)) return "format";
  // Check digit before date: a mistyped date digit almost always breaks the check digit too,
  // and "check digit" is the message that tells the clerk to re-read the whole number.
  if (residentCheckChar(id.slice(0, 17)) !== id[17]) return "check-digit";
  if (!plausibleBirthDate(id.slice(6, 14), now)) return "birth-date";
  return undefined;
}

/**
 * GB 11643-1999 resident identity number: 17 digits + MOD 11-2 check char, with a real birth
 * date (year ≥ 1900, not after `now` in China time). Strict: lower-case "x" is invalid here,
 * normalise first.
 * @example isValidResidentId("11010519491231002X") // true
 * @example isValidResidentId("11010519491231002x") // false (normalise first)
 */
export function isValidResidentId(id: string, now: Date = new Date()): boolean {
  return residentIdProblem(id, now) === undefined;
}

/**
 * Completes 17 digits with their check char. For tests and demo data.
 * @throws RangeError if the prefix is not 17 digits or its birth date is implausible, so every
 *   returned id is valid.
 * @example makeResidentId("11010519491231002") // "11010519491231002X"
 */
export function makeResidentId(prefix17: string, now: Date = new Date()): string {
  if (!/^\d{17}$/.test(prefix17)) throw new RangeError("makeResidentId needs exactly 17 digits");
  const id = prefix17 + residentCheckChar(prefix17);
  const problem = residentIdProblem(id, now);
  if (problem) throw new RangeError(`makeResidentId: ${problem}`);
  return id;
}

/* ------------------------------------------------------------------ USCC (GB 32100-2015) */

/** The 31 code chars: digits and upper-case letters without I, O, Z, S, V (easily misread). */
export const USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const USCC_RE = /^[0-9A-HJ-NPQRTUWXY]{18}$/;

export type UsccProblem = "length" | "charset" | "region" | "check-digit";

/** Check char for 17 charset chars (caller guarantees the charset). */
function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARSET.indexOf(first17[i]!) * USCC_WEIGHTS[i]!;
  const check = 31 - (sum % 31);
  return USCC_CHARSET[check === 31 ? 0 : check]!;
}

/**
 * Why `id` is not a valid unified social credit code, or `undefined` if it is.
 * @example usccProblem("91350100M000100Y43") // undefined
 * @example usccProblem("91350100M000100Y44") // "check-digit"
 */
export function usccProblem(id: string): UsccProblem | undefined {
  if (id.length !== 18) return "length";
  if (!USCC_RE.test(id)) return "charset";
  // Positions 3–8 are the GB/T 2260 administrative division code of the registering authority.
  if (!/^\d{6}$/.test(id.slice(2, 8))) return "region";
  if (usccCheckChar(id.slice(0, 17)) !== id[17]) return "check-digit";
  return undefined;
}

/**
 * GB 32100-2015 unified social credit code: 18 chars from {@link USCC_CHARSET}, a 6-digit region
 * code at positions 3–8 and a MOD 31 check char. Strict: normalise first.
 * @example isValidUscc("91350100M000100Y43") // true
 */
export function isValidUscc(id: string): boolean {
  return usccProblem(id) === undefined;
}

/**
 * Completes 17 code chars with their check char. For tests and demo data.
 * @throws RangeError if the prefix has chars outside the charset or no 6-digit region code,
 *   so every returned code is valid.
 * @example makeUscc("91350100M000100Y4") // "91350100M000100Y43"
 */
export function makeUscc(prefix17: string): string {
  if (!/^[0-9A-HJ-NPQRTUWXY]{17}$/.test(prefix17)) throw new RangeError("makeUscc needs 17 chars from the USCC charset");
  if (!/^\d{6}$/.test(prefix17.slice(2, 8))) throw new RangeError("makeUscc: positions 3–8 must be a 6-digit region code");
  return prefix17 + usccCheckChar(prefix17);
}

/* ------------------------------------------------------------------ request schema */

const PROBLEM_TEXT: Record<ResidentIdProblem | UsccProblem, string> = {
  length: "length must be 18",
  format: "17 digits and a digit or X expected",
  charset: "only 0-9 and A-Y without I, O, Z, S, V",
  region: "positions 3-8 must be a 6-digit region code",
  "check-digit": "check digit",
  "birth-date": "birth date",
};

/**
 * The `subject` of a verification request. `id` is normalised (NFKC, trim, upper-case) and then
 * checked for its type, so the output always holds a valid, canonical id. Unknown keys are
 * rejected: a misspelt `nmae` must not silently skip the name check.
 * @example subjectSchema.parse({ type: "resident-id", id: "11010519491231002x" }).id // "11010519491231002X"
 */
export const subjectSchema = z
  .object({
    type: z.enum(SUBJECT_TYPES),
    id: z.string().max(64).overwrite(normalizeSubjectId),
    /** The name on the certificate, when the source should also match it. */
    name: z.string().min(1).max(64).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const problem = s.type === "resident-id" ? residentIdProblem(s.id) : usccProblem(s.id);
    if (problem) {
      const what = s.type === "resident-id" ? "resident id" : "unified social credit code";
      ctx.addIssue({ code: "custom", path: ["id"], message: `not a valid ${what} (${PROBLEM_TEXT[problem]})` });
    }
  });

/* ------------------------------------------------------------------ masking and commitments */

function maskMiddle(id: string, head: number, tail: number): string {
  // Too short to reveal anything safely: mask it all rather than leak most of it.
  if (id.length <= head + tail) return "*".repeat(id.length);
  return id.slice(0, head) + "*".repeat(id.length - head - tail) + id.slice(id.length - tail);
}

/**
 * The id as printed on receipts, same length as the id: the first 4 and last 4 characters, 10
 * stars between for an 18-character id (PROTOCOL v1.1 §3, for both subject types).
 * @example maskSubjectId({ type: "resident-id", id: "11010519491231002X" }) // "1101**********002X"
 * @example maskSubjectId({ type: "uscc", id: "91350100M000100Y43" })       // "9135**********0Y43"
 */
export function maskSubjectId(subject: Subject): string {
  return maskMiddle(subject.id, 4, 4);
}

/** Bytes in a subject opening (§3 v1.1): 256 bits, so a commitment cannot be opened by guessing. */
export const OPENING_BYTES = 32;

/**
 * 32 fresh random bytes: the key of one receipt's subject commitment, handed to the window beside
 * the receipt and never put inside it. A new one per verification, so two receipts about the same
 * person cannot be linked by their commitments.
 * @example randomOpening().length // 32
 */
export function randomOpening(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(OPENING_BYTES));
}

/**
 * base64url (no padding) HMAC-SHA256(key = opening, message = UTF-8 `type:id`), PROTOCOL v1.1 §3.
 * Without the opening, a receipt's commitment says nothing about the id, however small the id space
 * that fits the mask (v1's salted digest could be brute-forced from the receipt alone). Pass the
 * normalised id.
 * @example await subjectCommitment({ type: "resident-id", id: "11010519491231002X" }, randomOpening()) // "Yq3…" (43 chars)
 */
export async function subjectCommitment(subject: Subject, opening: Uint8Array): Promise<string> {
  const key = await hmacSha256Key(opening);
  return b64url(await key.mac(`${subject.type}:${subject.id}`));
}

/**
 * Does a receipt's `subject` commit to this person? True when the type matches and the commitment
 * recomputes from the opening (base64url, as the 200 answer gave it) and the id, normalised as the
 * gateway normalised it. False for anything malformed; never throws.
 * @example await receiptSubjectMatches(receipt.subject, { type: "resident-id", id: "11010519491231002x" }, answer.subjectOpening) // true
 */
export async function receiptSubjectMatches(receiptSubject: unknown, subject: { type: string; id: string }, opening: string): Promise<boolean> {
  const claimed = receiptSubject as { type?: unknown; commitment?: unknown } | null | undefined;
  if (typeof claimed?.commitment !== "string" || claimed.type !== subject.type) return false;
  let key: Uint8Array;
  try {
    key = fromB64url(opening);
  } catch {
    return false;
  }
  if (key.length !== OPENING_BYTES) return false;
  const expected = await subjectCommitment({ type: subject.type as SubjectType, id: normalizeSubjectId(subject.id) }, key);
  return expected === claimed.commitment;
}

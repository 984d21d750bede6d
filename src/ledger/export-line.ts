/**
 * One line of a JSON Lines ledger export, `{"index":N,"leafHash":"<b64>","entry":{…}}`, read and
 * checked for the offline verifier (verify-export.ts).
 *
 * Two paths, one verdict. The export splices each entry's stored canonical text in verbatim, so
 * the fast path (acceptFast) hashes those exported bytes directly: when SHA-256(0x00 ‖ bytes)
 * equals the leafHash, the bytes are the committed ones (the tree root then vouches for the
 * leafHash), and only the entry's own top-level `index` is read, by a small scanner. Parsing and
 * re-canonicalising an entry costs several times more than hashing it, and a million-entry
 * audit should take seconds, not minutes. Anything else — another layout, a position, hash or
 * own index that does not match, or `strict` — takes the full path (readHead, checkEntry):
 * JSON.parse, RFC 8785 re-serialisation with the `canonicalize` package (as appendEntries does),
 * hash, compare. The full path alone decides what is wrong; the fast path can only accept.
 */
import canonicalize from "canonicalize";
import { hash } from "node:crypto";
import { hashEquals } from "./merkle.ts";
import { fromBase64 } from "./note-codec.ts";

/** A line as text, or as its UTF-8 bytes (what splitLines yields: hashing bytes skips re-encoding them). */
export type ExportLine = string | Uint8Array;

/** Where a line says it stands, and the leaf hash it claims. */
export interface LineHead {
  index: number;
  leafHash: string;
}

export type LineProblem = { problem: "malformed" | "altered" | "reordered"; detail: string };

const LAYOUT = /^\{"index":(0|[1-9][0-9]{0,15}),"leafHash":"([A-Za-z0-9+/]{43}=)","entry":(?=\{)/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const asBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The line as text, or why it cannot be read. */
function textOf(line: ExportLine): string | undefined {
  if (typeof line === "string") return line;
  try {
    return utf8.decode(line);
  } catch {
    return undefined;
  }
}

/**
 * Position and leafHash of a line, cheaply when it has the export's layout; else a reason it is
 * not an export line.
 * @example
 * readHead('{"index":7,"leafHash":"…","entry":{…}}'); // { index: 7, leafHash: "…" }
 */
export function readHead(line: ExportLine): LineHead | string {
  if (typeof line === "string") {
    const m = LAYOUT.exec(line);
    if (m && line.endsWith("}")) return { index: Number(m[1]), leafHash: m[2]! };
  } else {
    // The layout's prefix is ASCII, so reading the first bytes as latin1 is exact for it.
    const bytes = asBuffer(line);
    const m = LAYOUT.exec(bytes.toString("latin1", 0, 128));
    if (m && bytes[bytes.length - 1] === 0x7d) return { index: Number(m[1]), leafHash: m[2]! };
  }
  const full = parseFull(line);
  return typeof full === "string" ? full : { index: full.index, leafHash: full.leafHash };
}

function parseFull(line: ExportLine): { index: number; leafHash: string; entry: Record<string, unknown> } | string {
  const text = textOf(line);
  if (text === undefined) return "not UTF-8";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  if (!isObject(value)) return "not a JSON object";
  const { index, leafHash, entry } = value;
  if (!Number.isSafeInteger(index) || (index as number) < 0) return `"index" is not a non-negative integer`;
  if (typeof leafHash !== "string" || fromBase64(leafHash)?.length !== 32) return `"leafHash" is not standard base64 of 32 bytes`;
  if (!isObject(entry)) return `"entry" is not a JSON object`;
  return { index: index as number, leafHash, entry };
}

/**
 * The top-level `"index"` of a JSON object text, if it is a plain decimal integer; undefined
 * otherwise (the full path then decides). Skips strings and nested values without parsing them,
 * working on UTF-8 bytes: multi-byte sequences never contain ASCII bytes, so every quote, brace,
 * bracket and backslash is found exactly where it is.
 * @example
 * topLevelIndex('{"a":{"index":9},"index":4}'); // 4
 */
export function topLevelIndex(raw: ExportLine): number | undefined {
  const b = typeof raw === "string" ? Buffer.from(raw, "utf8") : raw;
  let depth = 0;
  const n = b.length;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0x22) {
      const start = i;
      for (i++; i < n; i++) {
        const d = b[i]!;
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      if (depth === 1 && i - start === 6 && b[i + 1] === 0x3a && matchAt(b, start, INDEX_KEY)) return readIndex(b, i + 2, [0x2c, 0x7d]);
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

const bytesOf = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const INDEX_KEY = bytesOf('"index"');
const LINE_START = bytesOf('{"index":');
const AFTER_INDEX = bytesOf(',"leafHash":"');
const AFTER_HASH = bytesOf('","entry":');

function matchAt(b: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (at + expected.length > b.length) return false;
  for (let k = 0; k < expected.length; k++) if (b[at + k] !== expected[k]) return false;
  return true;
}

/** A decimal index at `at` (no sign, no leading zero, ≤ 16 digits) ended by one of `enders`; else undefined. */
function readIndex(b: Uint8Array, at: number, enders: number[], end?: { at: number }): number | undefined {
  let value = 0;
  let i = at;
  for (; i < b.length && i - at <= 16; i++) {
    const d = b[i]!;
    if (d < 0x30 || d > 0x39) break;
    if (i > at && value === 0) return undefined; // a leading zero
    value = value * 10 + (d - 0x30);
  }
  if (i === at || !enders.includes(b[i]!)) return undefined;
  if (end) end.at = i;
  return value;
}

let scratch = Buffer.alloc(4096); // byte 0 stays 0x00, the leaf prefix
const indexEnd = { at: 0 };

/**
 * The leaf hash of a line in the export's own layout whose position, leafHash and own index all
 * match — or undefined, and the full path takes over. Reads the bytes once, allocating little:
 * this is the loop a million-entry audit spends its time in.
 * @example
 * const leaf = acceptFast(lineBytes, 41) ?? checkEntry(lineBytes, readHead(lineBytes) as LineHead, 41, 42);
 */
export function acceptFast(line: ExportLine, at: number): Uint8Array | undefined {
  const b = typeof line === "string" ? Buffer.from(line, "utf8") : asBuffer(line);
  if (!matchAt(b, 0, LINE_START)) return undefined;
  const end = indexEnd;
  if (readIndex(b, LINE_START.length, [0x2c], end) !== at || !matchAt(b, end.at, AFTER_INDEX)) return undefined;
  const hashAt = end.at + AFTER_INDEX.length;
  const rawAt = hashAt + 44 + AFTER_HASH.length;
  if (!matchAt(b, hashAt + 44, AFTER_HASH) || b[rawAt] !== 0x7b || b[b.length - 1] !== 0x7d) return undefined;
  const raw = b.subarray(rawAt, b.length - 1);
  // 0x00 ‖ raw in a reused buffer: one allocation per line fewer, which the GC notices at a million.
  if (scratch.length < raw.length + 1) scratch = Buffer.alloc(2 * raw.length + 1);
  raw.copy(scratch, 1);
  const digest = hash("sha256", scratch.subarray(0, raw.length + 1), "buffer");
  const encoded = digest.toString("base64");
  for (let k = 0; k < 44; k++) if (encoded.charCodeAt(k) !== b[hashAt + k]) return undefined;
  return topLevelIndex(raw) === at ? digest : undefined;
}

/**
 * The full path: parses the line at position `at`, re-canonicalises its entry and hashes it;
 * returns the leaf hash, or what is wrong.
 * @example
 * const leaf = checkEntry(line, readHead(line) as LineHead, 41, 42);
 */
export function checkEntry(line: ExportLine, head: LineHead, at: number, lineNo: number): Uint8Array | LineProblem {
  const full = parseFull(line);
  if (typeof full === "string") return { problem: "malformed", detail: `line ${lineNo} is not an export line: ${full}` };
  // JSON.parse keeps the last of repeated members; the layout read the first. Both must agree.
  if (full.index !== head.index || full.leafHash !== head.leafHash) return { problem: "malformed", detail: `line ${lineNo} repeats its index or leafHash member` };
  const own = full.entry.index;
  if (typeof own === "number" && own !== at) return { problem: "reordered", detail: `the entry on line ${lineNo} (position ${at}) says its own index is ${own}` };
  let text: string | undefined;
  try {
    text = canonicalize(full.entry);
  } catch (err) {
    return { problem: "malformed", detail: `the entry on line ${lineNo} cannot be canonicalised (${err instanceof Error ? err.message : String(err)})` };
  }
  const computed = hash("sha256", "\u0000" + text!, "buffer"); // "\0" is the 0x00 leaf prefix byte
  if (!hashEquals(computed, fromBase64(head.leafHash)!)) {
    return { problem: "altered", detail: `leaf hash differs from the exported leafHash (the entry hashes to ${computed.toString("base64")}, the line says ${head.leafHash})` };
  }
  if (own !== at) return { problem: "malformed", detail: `the entry on line ${lineNo} has no index field of its own` };
  return computed;
}

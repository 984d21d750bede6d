/**
 * Offline verification of an exported ledger (`GET /v1/audit/export?format=jsonl`) against
 * signed checkpoints: the auditor's side of §5. Pure — lines in, a verdict out; no HTTP, no
 * database — so the CLI, the tests and the benchmark all run exactly this code.
 *
 * Each line `{"index":N,"leafHash":"<b64>","entry":{…}}` must stand at position N, carry an
 * entry whose own `index` is N, and hash (SHA-256(0x00 ‖ RFC 8785 canonical entry)) to its
 * leafHash; the leaf hashes are folded into a CompactRange, whose root must equal each
 * checkpoint's root when the export reaches that checkpoint's size. The first failure stops the
 * walk and is named by index and kind, because an auditor's next step is to look at that entry.
 *
 * The proof checks (checkpoint signature, consistency, receipt inclusion) live in
 * verify-proofs.ts and are re-exported here, so the verifier has one entry point.
 */
import type { Checkpoint } from "./checkpoint.ts";
import { acceptFast, checkEntry, readHead, type ExportLine } from "./export-line.ts";
import { CompactRange, hashEquals } from "./merkle.ts";
import { fromBase64 } from "./note-codec.ts";

export * from "./verify-proofs.ts";

/** What is wrong at the first bad index. */
export type ExportProblem =
  | "malformed" // not an export line, or an entry that cannot be canonicalised
  | "altered" // the entry does not hash to its leafHash
  | "missing" // an index is absent (a gap, or the export ends before a checkpoint's size)
  | "reordered" // an entry stands at the wrong position
  | "root-mismatch"; // every line is self-consistent, but the leaves do not make the signed root

export interface FirstBad {
  /** The first index that is not what the ledger committed to (for root-mismatch: the first that may not be). */
  index: number;
  problem: ExportProblem;
  detail: string;
  /** root-mismatch only: the first bad entry lies in [from, to), between two checkpoint sizes. */
  range?: { from: number; to: number };
}

/** The tree after `size` entries, as its peak hashes (standard base64): enough to resume. */
export interface TreeState {
  size: number;
  peaks: string[];
}

export interface VerifyExportOptions {
  /** Checkpoints already opened with the verifier key (see checkCheckpoint); any order. */
  checkpoints: readonly Checkpoint[];
  /** Resume after a tree state saved by an earlier run; the export then starts at `start.size`. */
  start?: TreeState;
  /** Re-canonicalise every entry, even when its exported bytes already hash to its leafHash. */
  strict?: boolean;
  /** Called with the number of entries walked so far, every `progressEvery` lines and at the end. */
  onProgress?: (size: number) => void;
  progressEvery?: number;
}

export interface VerifyExportResult {
  ok: boolean;
  /** Lines that passed every per-line check. */
  checked: number;
  /** Largest checkpoint size whose root the export reproduced (the start size if none). */
  verifiedSize: number;
  /** Entries after `verifiedSize` that were checked but that no given checkpoint covers yet. */
  uncovered: number;
  firstBad?: FirstBad;
  /** The tree at `verifiedSize`, to pass as `start` next time. */
  state: TreeState;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

export type { ExportLine };
type Batch = ExportLine | readonly ExportLine[];
/** Lines (text or UTF-8 bytes) one by one, or in batches as splitLines yields them, to spare an await per line. */
export type ExportLines = AsyncIterable<Batch> | Iterable<Batch>;
type Batches = AsyncIterator<Batch> | Iterator<Batch>;

const batchOf = (value: Batch): readonly ExportLine[] => (typeof value === "string" || value instanceof Uint8Array ? [value] : value);
const CR = 0x0d;
/** Without a trailing "\r" (CRLF files). */
const chomp = (line: ExportLine): ExportLine =>
  typeof line === "string" ? (line.endsWith("\r") ? line.slice(0, -1) : line) : line[line.length - 1] === CR ? line.subarray(0, -1) : line;

/** Reads on to find whether index `wanted` turns up later: then the export is out of order, not short. */
async function findLater(rest: readonly ExportLine[], it: Batches, wanted: number, lineNo: number): Promise<number | undefined> {
  for (let batch = rest; ; ) {
    for (const line of batch) {
      lineNo++;
      const head = readHead(chomp(line));
      if (typeof head !== "string" && head.index === wanted) return lineNo;
    }
    const { value, done } = await it.next();
    if (done) return undefined;
    batch = batchOf(value);
  }
}

/**
 * Verifies an export, line by line, against checkpoints. Stops at the first bad index.
 * Throws RangeError only for caller mistakes (a checkpoint below the resume point, a bad state).
 * @example
 * const opened = await checkCheckpoint(note, key); // { ok: true, checkpoint } when the signature verifies
 * const result = await verifyExport(splitLines(createReadStream("ledger.jsonl")), { checkpoints: [opened.checkpoint] });
 * if (!result.ok) console.log(`FAIL at index ${result.firstBad!.index}: ${result.firstBad!.problem}`);
 */
export async function verifyExport(lines: ExportLines, options: VerifyExportOptions): Promise<VerifyExportResult> {
  const cps = [...options.checkpoints].sort((a, b) => a.size - b.size);
  const range = options.start ? CompactRange.fromPeaks(options.start.size, options.start.peaks.map(decodeHash)) : new CompactRange();
  const startSize = range.size;
  const below = cps.find((cp) => cp.size < startSize);
  if (below) throw new RangeError(`checkpoint of size ${below.size} is below the resume point ${startSize}; verify it from a full export`);
  const every = Math.max(1, options.progressEvery ?? 10_000);
  const strict = options.strict ?? false;

  let nextCp = 0;
  let verified = startSize;
  let state: TreeState = { size: startSize, peaks: range.peaks().map((p) => b64(p.hash)) };
  let checked = 0;
  const result = (firstBad?: FirstBad): VerifyExportResult => {
    options.onProgress?.(range.size);
    return firstBad
      ? { ok: false, checked, verifiedSize: verified, uncovered: 0, firstBad, state }
      : { ok: true, checked, verifiedSize: verified, uncovered: range.size - verified, state };
  };
  // Compares the root with every checkpoint of the current size.
  const atCheckpoints = (): FirstBad | undefined => {
    while (nextCp < cps.length && cps[nextCp]!.size === range.size) {
      const cp = cps[nextCp++]!;
      const root = range.root();
      if (!hashEquals(root, cp.rootHash)) {
        const where =
          verified === cp.size
            ? `two checkpoints of size ${cp.size} sign different roots, or the resumed state is wrong`
            : `the first bad entry is in [${verified}, ${cp.size})${verified > startSize ? ` (the first ${verified} matched an earlier checkpoint)` : ""}`;
        return {
          index: verified,
          problem: "root-mismatch",
          range: { from: verified, to: cp.size },
          detail: `the first ${cp.size} entries hash to root ${b64(root)}, but the checkpoint of size ${cp.size} signs ${b64(cp.rootHash)}; ${where}`,
        };
      }
      verified = cp.size;
      state = { size: verified, peaks: range.peaks().map((p) => b64(p.hash)) };
    }
    return undefined;
  };

  const it: Batches = Symbol.asyncIterator in lines ? lines[Symbol.asyncIterator]() : lines[Symbol.iterator]();
  let lineNo = 0;
  // Names what is wrong with a line, or accepts one the fast path would not (another layout, strict).
  const fullPath = async (text: ExportLine, at: number, rest: () => readonly ExportLine[]): Promise<Uint8Array | FirstBad> => {
    const head = readHead(text);
    if (typeof head === "string") return { index: at, problem: "malformed", detail: `line ${lineNo} is not an export line: ${head}` };
    if (head.index > at) {
      const line = lineNo;
      const later = await findLater(rest(), it, at, lineNo);
      return later === undefined
        ? { index: at, problem: "missing", detail: `entry ${at} is absent: line ${line} jumps from ${at === startSize ? "the start" : `entry ${at - 1}`} to entry ${head.index}` }
        : { index: at, problem: "reordered", detail: `entry ${at} stands on line ${later}, after entry ${head.index} (line ${line})` };
    }
    if (head.index < at) return { index: at, problem: "reordered", detail: `line ${lineNo} carries entry ${head.index} again where entry ${at} belongs` };
    const leaf = checkEntry(text, head, at, lineNo);
    return leaf instanceof Uint8Array ? leaf : { index: at, ...leaf };
  };
  try {
    const early = atCheckpoints();
    if (early) return result(early);
    for (;;) {
      const { value, done } = await it.next();
      if (done) break;
      const batch = batchOf(value);
      for (let b = 0; b < batch.length; b++) {
        lineNo++;
        const text = chomp(batch[b]!);
        if (text.length === 0) continue; // a trailing newline or a blank line carries nothing
        const at = range.size;
        const leaf = (!strict && acceptFast(text, at)) || (await fullPath(text, at, () => batch.slice(b + 1)));
        if (!(leaf instanceof Uint8Array)) return result(leaf);
        range.push(leaf);
        checked++;
        if (checked % every === 0) options.onProgress?.(range.size);
        const bad = atCheckpoints();
        if (bad) return result(bad);
      }
    }
    const last = cps[cps.length - 1];
    if (last && range.size < last.size) {
      const after = range.size === startSize ? "before any entry" : `after entry ${range.size - 1}`;
      return result({ index: range.size, problem: "missing", detail: `the export ends ${after}, but the checkpoint of size ${last.size} covers entries up to ${last.size - 1} (truncated)` });
    }
    return result();
  } finally {
    await it.return?.();
  }
}

function decodeHash(text: string): Uint8Array {
  const bytes = fromBase64(text);
  if (bytes?.length !== 32) throw new RangeError("tree state peaks must be standard base64 of 32 bytes");
  return bytes;
}

/**
 * Splits a stream of bytes or text (a file, stdin, a fetch body) into batches of lines without
 * the "\n": one batch per chunk, so a consumer awaits per chunk rather than per line, and byte
 * lines as zero-copy views, so they are hashed without decoding and re-encoding. Both matter at a
 * million lines (node:readline alone costs about as much as the verification).
 * @example
 * for await (const batch of splitLines(createReadStream("ledger.jsonl"))) for (const line of batch) …
 */
export async function* splitLines(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<ExportLine[]> {
  let rest: Buffer | string | undefined;
  for await (const chunk of chunks) {
    if (typeof chunk === "string") {
      const lines = ((typeof rest === "string" ? rest : rest ? rest.toString("utf8") : "") + chunk).split("\n");
      rest = lines.pop()!;
      if (lines.length > 0) yield lines;
      continue;
    }
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buf = rest === undefined || rest.length === 0 ? bytes : Buffer.concat([typeof rest === "string" ? Buffer.from(rest) : rest, bytes]);
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = buf.indexOf(0x0a); end >= 0; end = buf.indexOf(0x0a, start)) {
      lines.push(buf.subarray(start, end));
      start = end + 1;
    }
    rest = buf.subarray(start);
    if (lines.length > 0) yield lines;
  }
  if (rest !== undefined && rest.length > 0) yield [rest];
}

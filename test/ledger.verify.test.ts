/**
 * The offline verifier, pure: a good export verifies; each tampering is named with its kind and
 * first bad index; properties over random sizes, checkpoints and tamper positions; and the proof
 * checks (checkpoint signature, consistency, receipt inclusion).
 */
import fc from "fast-check";
import { CompactSign, exportJWK, generateKeyPair } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { consistencyProof, inclusionProof } from "../src/ledger/merkle.ts";
import { randomOpening, subjectCommitment } from "../src/catalog/subject.ts";
import { generateSignerKey } from "../src/ledger/note.ts";
import {
  checkCheckpoint,
  checkConsistency,
  checkReceiptInclusion,
  splitLines,
  verifyExport,
  type VerifyExportResult,
} from "../src/ledger/verify-export.ts";
import { topLevelIndex } from "../src/ledger/export-line.ts";
import { canonicalEntry } from "../src/ledger/append.ts";
import { MemoryStore } from "./merkle-fixtures.ts";
import { buildLedger, ORIGIN, tamper, type FixtureLedger } from "./ledger-export-fixture.ts";

const N = 64;
let L: FixtureLedger;
beforeAll(async () => {
  L = await buildLedger(N);
});

/** The lines as a file's bytes, in 97-byte chunks (splitting lines and UTF-8 sequences). */
async function* asChunks(lines: string[]) {
  const bytes = new TextEncoder().encode(lines.join("\n") + "\n");
  for (let i = 0; i < bytes.length; i += 97) yield bytes.subarray(i, i + 97);
}

const verify = (lines: string[], sizes: number[] = [N], strict = false) => verifyExport(lines, { checkpoints: sizes.map((s) => L.checkpoint(s)), strict });
const bad = (r: VerifyExportResult) => (r.ok ? undefined : { index: r.firstBad!.index, problem: r.firstBad!.problem });

describe("a good export", () => {
  it("verifies against one or several checkpoints, in any order, fast path and strict", async () => {
    for (const strict of [false, true]) {
      const r = await verify(L.lines, [N, 10, 1, 33, 0, N], strict);
      expect(r).toMatchObject({ ok: true, checked: N, verifiedSize: N, uncovered: 0 });
    }
  });

  it("counts entries beyond the newest checkpoint as uncovered, and reports progress", async () => {
    const seen: number[] = [];
    const r = await verifyExport(L.lines, { checkpoints: [L.checkpoint(40)], onProgress: (n) => seen.push(n), progressEvery: 16 });
    expect(r).toMatchObject({ ok: true, verifiedSize: 40, uncovered: 24 });
    expect(seen).toEqual([16, 32, 48, 64, 64]);
  });

  it("accepts CRLF line ends, blank lines and lines re-encoded by another tool", async () => {
    const reencoded = L.lines.map((l, i) => (i % 2 ? JSON.stringify(JSON.parse(l), null, 0).replace('"index"', ' "index"') : l) + "\r");
    expect((await verify(["", ...reencoded, ""])).ok).toBe(true);
  });

  it("resumes from a saved tree state with only the newer entries", async () => {
    const first = await verify(L.lines.slice(0, 20), [20]);
    const r = await verifyExport(L.lines.slice(20), { checkpoints: [L.checkpoint(N)], start: first.state });
    expect(r).toMatchObject({ ok: true, checked: N - 20, verifiedSize: N });
    const forged = await verifyExport(tamper.forge(L.lines, 30).slice(20), { checkpoints: [L.checkpoint(N)], start: first.state });
    expect(bad(forged)).toEqual({ index: 20, problem: "root-mismatch" });
    await expect(verifyExport([], { checkpoints: [L.checkpoint(10)], start: first.state })).rejects.toThrow(RangeError);
  });

  it("reads lines from a byte or text stream split at arbitrary points, multi-byte characters included", async () => {
    expect((await verifyExport(splitLines(asChunks(L.lines)), { checkpoints: [L.checkpoint(N)] })).ok).toBe(true);
    const text = L.lines.join("\r\n");
    const textChunks = async function* () {
      for (let i = 0; i < text.length; i += 89) yield text.slice(i, i + 89);
    };
    expect((await verifyExport(splitLines(textChunks()), { checkpoints: [L.checkpoint(N)] })).ok).toBe(true);
  });
});

describe("each tampering is named with its first bad index", () => {
  it.each([
    ["one field changed", () => tamper.alter(L.lines, 41), 41, "altered"],
    ["an entry deleted", () => tamper.remove(L.lines, 17), 17, "missing"],
    ["the first entry deleted", () => tamper.remove(L.lines, 0), 0, "missing"],
    ["two rows' entries swapped", () => tamper.swapRows(L.lines, 12, 50), 12, "reordered"],
    ["two lines swapped in the file", () => tamper.swapLines(L.lines, 12, 50), 12, "reordered"],
    ["a line duplicated", () => [...L.lines.slice(0, 8), L.lines[7]!, ...L.lines.slice(8)], 8, "reordered"],
    ["the tail truncated after the checkpoint", () => tamper.truncate(L.lines, 58), 58, "missing"],
    ["everything deleted", () => [], 0, "missing"],
    ["a line that is not JSON", () => L.lines.map((l, i) => (i === 5 ? l.slice(0, -2) : l)), 5, "malformed"],
    ["an entry forged with a recomputed leaf hash", () => tamper.forge(L.lines, 40), 32, "root-mismatch"],
  ] as const)("%s", async (_name, make, index, problem) => {
    const lines = make();
    const checkpoints = [8, 32, N].map((s) => L.checkpoint(s));
    const r = await verify(lines, [8, 32, N]);
    expect(bad(r)).toEqual({ index, problem });
    expect(r.firstBad!.detail).toBeTruthy();
    // The same verdict from bytes (as a file is read), and with every entry re-canonicalised.
    expect(bad(await verifyExport(splitLines(asChunks(lines)), { checkpoints }))).toEqual({ index, problem });
    expect(bad(await verifyExport(lines, { checkpoints, strict: true }))).toEqual({ index, problem });
  });

  it("a forgery is narrowed to the range between the last matching and the first failing checkpoint", async () => {
    const r = await verify(tamper.forge(L.lines, 40), [8, 32, 48, N]);
    expect(r.firstBad).toMatchObject({ index: 32, problem: "root-mismatch", range: { from: 32, to: 48 } });
    expect(r.verifiedSize).toBe(32);
  });

  it("two checkpoints of one size with different roots are a root mismatch", async () => {
    const other = await buildLedger(N, { variant: "fork" });
    const r = await verifyExport(L.lines, { checkpoints: [L.checkpoint(20), { ...other.checkpoint(20), origin: ORIGIN }] });
    expect(bad(r)).toEqual({ index: 20, problem: "root-mismatch" });
  });
});

describe("properties", () => {
  const kinds = ["alter", "remove", "swapRows", "swapLines", "truncate", "forge"] as const;
  it("for any size, checkpoints and tamper position, the verifier names the expected index and kind", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: N }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            sizes: fc.uniqueArray(fc.integer({ min: 1, max: n }), { minLength: 1, maxLength: 4 }).map((s) => [...s, n]),
            kind: fc.constantFrom(...kinds),
            i: fc.integer({ min: 0, max: n - 2 }),
            gap: fc.integer({ min: 1, max: n - 1 }),
          }),
        ),
        async ({ n, sizes, kind, i, gap }) => {
          const lines = L.lines.slice(0, n);
          const j = Math.min(n - 1, i + gap);
          const tampered = kind === "swapRows" || kind === "swapLines" ? tamper[kind](lines, i, j) : tamper[kind](lines, i);
          const r = await verify(tampered, sizes);
          if (kind === "forge") {
            const failing = Math.min(...sizes.filter((s) => s > i));
            const good = Math.max(0, ...sizes.filter((s) => s <= i));
            expect(r.firstBad).toMatchObject({ index: good, problem: "root-mismatch", range: { from: good, to: failing } });
          } else {
            const problem = { alter: "altered", remove: "missing", truncate: "missing", swapRows: "reordered", swapLines: "reordered" }[kind];
            expect(bad(r)).toEqual({ index: i, problem });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("an untampered prefix always verifies against every checkpoint it reaches", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: N }), fc.uniqueArray(fc.integer({ min: 0, max: N }), { maxLength: 5 }), async (n, sizes) => {
        const within = sizes.filter((s) => s <= n);
        const r = await verify(L.lines.slice(0, n), within);
        expect(r).toMatchObject({ ok: true, checked: n, verifiedSize: Math.max(0, ...within) });
      }),
      { numRuns: 100 },
    );
  });
});

describe("reading an entry's own index without parsing it (the fast path)", () => {
  it.each([
    ['{"index":4}', 4],
    ['{"a":{"index":9},"index":4}', 4],
    ['{"a":"\\"index\\":7","index":5}', 5],
    ['{"a":["index",{"index":1}],"b\\\\":"}","index":0}', 0],
    ['{"index":-1}', undefined],
    ['{"index":1.5}', undefined],
    ['{"index":"3"}', undefined],
    ['{"a":{"index":9}}', undefined],
    ['{"index":01}', undefined], // not JSON: left to the full path
  ])("%s → %s", (text, expected) => {
    expect(topLevelIndex(text)).toBe(expected);
    expect(topLevelIndex(new TextEncoder().encode(text))).toBe(expected);
  });

  it("agrees with JSON.parse on any canonical entry", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.nat(), (fields, index) => {
        const text = canonicalEntry({ ...fields, index });
        expect(topLevelIndex(text)).toBe(index);
        expect(topLevelIndex(new TextEncoder().encode(text))).toBe(index);
      }),
      { numRuns: 500 },
    );
  });
});

describe("proof checks", () => {
  it("a checkpoint opens with its key; another key, a changed byte or another origin fail", async () => {
    const note = await L.note(N);
    const ok = await checkCheckpoint(note, L.verifierKey);
    expect(ok.ok && ok.checkpoint.size).toBe(N);
    expect(await checkCheckpoint(note.replace(`\n${N}\n`, `\n${N + 1}\n`), L.verifierKey)).toMatchObject({ ok: false, problem: "bad-signature" });
    const stranger = await generateSignerKey(ORIGIN);
    expect(await checkCheckpoint(note, stranger.verifierKey)).toMatchObject({ ok: false, problem: "unknown-key" });
    expect(await checkCheckpoint(note, L.verifierKey, { origin: "elsewhere/ledger" })).toMatchObject({ ok: false, problem: "wrong-origin" });
    expect(await checkCheckpoint("garbage", L.verifierKey)).toMatchObject({ ok: false, problem: "malformed-note" });
  });

  it("consistency: a real proof passes; a forked newer tree, a wrong proof and a malformed proof fail", async () => {
    const store = new MemoryStore();
    await store.append(L.leaves);
    const proof = (await consistencyProof(20, N, store.read)).map((h) => Buffer.from(h).toString("base64"));
    expect(checkConsistency(L.checkpoint(20), L.checkpoint(N), { hashes: proof }).ok).toBe(true);
    const fork = await buildLedger(N, { variant: "fork" });
    expect(checkConsistency(L.checkpoint(20), { ...fork.checkpoint(N), origin: ORIGIN }, { hashes: proof })).toMatchObject({ ok: false, problem: "inconsistent" });
    expect(checkConsistency(L.checkpoint(20), L.checkpoint(N), { hashes: proof.slice(1) })).toMatchObject({ ok: false, problem: "inconsistent" });
    expect(checkConsistency(L.checkpoint(20), L.checkpoint(N), { hashes: ["nope"] })).toMatchObject({ ok: false, problem: "malformed-proof" });
    expect(() => checkConsistency(L.checkpoint(N), L.checkpoint(20), [])).toThrow(RangeError);
  });

  it("receipt inclusion: signature, gateway, index and proof are all checked", async () => {
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "r1" }] };
    const sign = (payload: object, typ = "huren-receipt+jwt") =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: "EdDSA", kid: "r1", typ }).sign(privateKey);
    const leafHash = Buffer.from(L.leaves[41]!).toString("base64");
    const receipt = await sign({ iss: "huren.test", jti: "vf_41", ledger: { index: 41, leafHash } });
    const store = new MemoryStore();
    await store.append(L.leaves);
    const proof = { hashes: (await inclusionProof(41, N, store.read)).map((h) => Buffer.from(h).toString("base64")) };
    const checkpoint = L.checkpoint(N);
    expect(await checkReceiptInclusion({ receipt, jwks, checkpoint, proof })).toMatchObject({ ok: true, index: 41, leafHash });
    const problem = async (over: Partial<Parameters<typeof checkReceiptInclusion>[0]>) => {
      const r = await checkReceiptInclusion({ receipt, jwks, checkpoint, proof, ...over });
      return r.ok ? "ok" : r.problem;
    };
    expect(await problem({ receipt: receipt.slice(0, -4) + "AAAA" })).toBe("bad-receipt");
    expect(await problem({ receipt: await sign({ iss: "huren.test", ledger: { index: 41, leafHash } }, "JWT") })).toBe("bad-receipt");
    expect(await problem({ receipt: await sign({ iss: "huren.test" }) })).toBe("bad-receipt");
    expect(await problem({ receipt: await sign({ iss: "other.gov", ledger: { index: 41, leafHash } }) })).toBe("wrong-gateway");
    expect(await problem({ checkpoint: L.checkpoint(41) })).toBe("beyond-checkpoint");
    expect(await problem({ receipt: await sign({ iss: "huren.test", ledger: { index: 40, leafHash } }) })).toBe("not-included");
    expect(await problem({ proof: { hashes: proof.hashes.slice(1) } })).toBe("not-included");
    expect(await problem({ proof: {} })).toBe("malformed-proof");

    // PROTOCOL v1.1 §3: with the id and the opening filed beside it, the receipt is about that person.
    const opening = randomOpening();
    const id = "11010519491231002X";
    const about = await sign({ iss: "huren.test", jti: "vf_41", subject: { type: "resident-id", masked: "1101**********002X", commitment: await subjectCommitment({ type: "resident-id", id }, opening) }, ledger: { index: 41, leafHash } });
    const subject = { type: "resident-id", id, opening: Buffer.from(opening).toString("base64url") };
    expect(await problem({ receipt: about, subject })).toBe("ok");
    expect(await problem({ receipt: about, subject: { ...subject, id: "110105194912310029" } })).toBe("wrong-subject");
    expect(await problem({ receipt: about, subject: { ...subject, opening: Buffer.from(randomOpening()).toString("base64url") } })).toBe("wrong-subject");
  });
});

/**
 * C2SP signed notes and tlog checkpoints: the Go sumdb/note example must reproduce byte for
 * byte (Ed25519 is deterministic), and every kind of damage must map to its own error code.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NoteError,
  formatCheckpoint,
  generateSignerKey,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  type NoteErrorCode,
} from "../src/ledger/note.ts";

interface SignedNoteVector {
  signerKey: string;
  verifierKey: string;
  text: string;
  signatureLine: string;
}
const vectors = JSON.parse(
  readFileSync(new URL("../../shared/testdata/transparency-log-vectors.json", import.meta.url), "utf8"),
) as { signedNote: SignedNoteVector; rootsBySize: Record<string, string> };
const go = vectors.signedNote;
const goNote = `${go.text}\n${go.signatureLine}\n`;

/** Asserts that `p` rejects with a NoteError of the given code. */
async function expectCode(p: Promise<unknown> | (() => unknown), code: NoteErrorCode): Promise<void> {
  const promise = typeof p === "function" ? Promise.resolve().then(p) : p;
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NoteError);
  expect((err as NoteError).code).toBe(code);
}

/** The Go note with its signature blob (key hash ‖ signature) rewritten by `change`. */
function goNoteWithBlob(change: (blob: Buffer) => Buffer): string {
  const blob = Buffer.from(go.signatureLine.split(" ")[2]!, "base64");
  return `${go.text}\n— PeterNeumann ${change(blob).toString("base64")}\n`;
}

describe("Go sumdb/note example", () => {
  it("signing the text gives exactly the Go signature line", async () => {
    expect(await signNote(go.text, go.signerKey)).toBe(goNote);
  });

  it("keys parse to the same name, hash and public key", async () => {
    const vk = parseVerifierKey(go.verifierKey);
    const sk = await parseSignerKey(go.signerKey);
    expect(vk.name).toBe("PeterNeumann");
    expect(vk.keyHash).toBe(0xc74f20a3);
    expect(vk.publicKey).toHaveLength(32);
    expect({ name: sk.name, keyHash: sk.keyHash, publicKey: sk.publicKey }).toEqual(vk);
  });

  it("openNote verifies it", async () => {
    const opened = await openNote(goNote, [go.verifierKey]);
    expect(opened.text).toBe(go.text);
    expect(opened.signatures).toEqual([
      { name: "PeterNeumann", keyHash: 0xc74f20a3, base64: go.signatureLine.split(" ")[2] },
    ]);
    expect(opened.unverified).toEqual([]);
    // Parsed keys are accepted as well as key texts.
    expect((await openNote(goNote, [parseVerifierKey(go.verifierKey)])).text).toBe(go.text);
  });

  it.each<[string, () => Promise<string>, NoteErrorCode]>([
    ["changed text", async () => goNote.replace("cryptography", "cryptograpHy"), "bad-signature"],
    ["changed signature byte", async () => goNoteWithBlob((b) => (b[14]! ^= 1, b)), "bad-signature"],
    ["truncated signature", async () => goNoteWithBlob((b) => b.subarray(0, 64)), "bad-signature"],
    ["changed key hash", async () => goNoteWithBlob((b) => (b[0]! ^= 1, b)), "unknown-key"],
    ["signature by another key", async () => signNote(go.text, (await generateSignerKey("PeterNeumann")).signerKey), "unknown-key"],
    ["no blank line", async () => goNote.replace("\n\n", "\n"), "malformed-note"],
    ["hyphen instead of em dash", async () => goNote.replace("— ", "- "), "malformed-note"],
    ["missing final newline", async () => goNote.slice(0, -1), "malformed-note"],
    ["empty signature block", async () => `${go.text}\n`, "malformed-note"],
    ["control character", async () => goNote.replace("answer", "ans\twer"), "malformed-note"],
    ["invalid base64", async () => goNote.replace(" x08go", " !x08go"), "malformed-note"],
    ["no base64", async () => `${go.text}\n— PeterNeumann\n`, "malformed-note"],
    ["too short signature", async () => `${go.text}\n— PeterNeumann AQID\n`, "malformed-note"],
    ["duplicate signature", async () => `${goNote}${go.signatureLine}\n`, "malformed-note"],
    ["too many signatures", async () => `${goNote}${"— other AAAAAAAA\n".repeat(100)}`, "malformed-note"],
  ])("%s is rejected", async (_name, make, code) => {
    await expectCode(openNote(await make(), [go.verifierKey]), code);
  });

  it("a different verifier key is unknown-key; an ambiguous key set is malformed-key", async () => {
    const other = await generateSignerKey("PeterNeumann");
    await expectCode(openNote(goNote, [other.verifierKey]), "unknown-key");
    await expectCode(openNote(goNote, []), "unknown-key");
    const real = parseVerifierKey(go.verifierKey);
    const clash = { ...real, publicKey: new Uint8Array(32) };
    await expectCode(openNote(goNote, [real, clash]), "malformed-key");
  });
});

describe("keys", () => {
  const [name, hash, key] = go.verifierKey.split("+") as [string, string, string];
  it.each<[string, string]>([
    ["no separators", "PeterNeumann"],
    ["missing key", `${name}+${hash}`],
    ["empty name", `+${hash}+${key}`],
    ["space in name", `Peter Neumann+${hash}+${key}`],
    ["short hash", `${name}+c74f20a+${key}`],
    ["non-hex hash", `${name}+c74f20ag+${key}`],
    ["hash of another key", `${name}+c74f20a4+${key}`],
    ["renamed key", `PeterNeuman+${hash}+${key}`],
    ["wrong algorithm byte", `${name}+${hash}+${Buffer.from([2, ...Buffer.from(key, "base64").subarray(1)]).toString("base64")}`],
    ["short key", `${name}+${hash}+${Buffer.from(key, "base64").subarray(0, 20).toString("base64")}`],
    ["overlong base64", `${name}+${hash}+${key}A`],
  ])("verifier key with %s is malformed-key", async (_why, text) => {
    await expectCode(() => parseVerifierKey(text), "malformed-key");
  });

  it.each<[string, string]>([
    ["no PRIVATE+KEY prefix", go.signerKey.replace("PRIVATE+KEY+", "")],
    ["a verifier key", go.verifierKey],
    ["hash of another key", go.signerKey.replace("c74f20a3", "c74f20a4")],
    ["wrong name", go.signerKey.replace("PeterNeumann", "PeterNeuman")],
  ])("signer key with %s is malformed-key", async (_why, text) => {
    await expectCode(parseSignerKey(text), "malformed-key");
  });

  it("generated keys have the documented forms and sign/verify", async () => {
    const { signerKey, verifierKey } = await generateSignerKey("huren.example/ledger");
    expect(signerKey).toMatch(/^PRIVATE\+KEY\+huren\.example\/ledger\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    expect(verifierKey).toMatch(/^huren\.example\/ledger\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    expect(signerKey.split("+")[3]).toBe(verifierKey.split("+")[1]);
    const note = await signNote("hello\n", signerKey);
    expect((await openNote(note, [verifierKey])).text).toBe("hello\n");
    await expectCode(generateSignerKey("bad name"), "malformed-key");
    await expectCode(generateSignerKey("a+b"), "malformed-key");
  });
});

describe("multiple signatures", () => {
  it("verifies the known ones and reports the others once", async () => {
    const witness = await generateSignerKey("witness.example");
    const note = await signNote(go.text, [go.signerKey, witness.signerKey]);
    const logOnly = await openNote(note, [go.verifierKey]);
    expect(logOnly.signatures.map((s) => s.name)).toEqual(["PeterNeumann"]);
    expect(logOnly.unverified.map((s) => s.name)).toEqual(["witness.example"]);
    const both = await openNote(note, [witness.verifierKey, go.verifierKey]);
    expect(both.signatures.map((s) => s.name)).toEqual(["PeterNeumann", "witness.example"]);
    const repeatedWitness = `${note}${note.split("\n").at(-2)}\n`;
    expect((await openNote(repeatedWitness, [go.verifierKey])).unverified).toHaveLength(1);
  });

  it("signNote rejects text that cannot be a note", async () => {
    await expectCode(signNote("no newline", go.signerKey), "malformed-note");
    await expectCode(signNote("bell\u0007\n", go.signerKey), "malformed-note");
    await expectCode(signNote("x\n", []), "malformed-note");
  });
});

describe("checkpoints", () => {
  const root8 = new Uint8Array(Buffer.from(vectors.rootsBySize["8"]!, "hex"));

  it("formats the C2SP layout exactly and round-trips through a signed note", async () => {
    const text = formatCheckpoint({ origin: "huren.example/ledger", size: 8, rootHash: root8 });
    expect(text).toBe(`huren.example/ledger\n8\n${Buffer.from(root8).toString("base64")}\n`);
    const note = await signNote(text, go.signerKey);
    const cp = parseCheckpoint((await openNote(note, [go.verifierKey])).text);
    expect(cp).toEqual({ origin: "huren.example/ledger", size: 8, rootHash: root8, extensions: [] });
  });

  it("format/parse round-trips (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.stringMatching(/^[a-z0-9.\/-]{1,40}$/), fc.constant("互认.example/账本 log")),
        fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.stringMatching(/^[ -~]{1,60}$/), { maxLength: 4 }),
        (origin, size, rootHash, extensions) => {
          const text = formatCheckpoint({ origin, size, rootHash, extensions });
          expect(text.endsWith("\n")).toBe(true);
          expect(parseCheckpoint(text)).toEqual({ origin, size, rootHash, extensions });
        },
      ),
    );
  });

  const b64 = Buffer.from(root8).toString("base64");
  it.each<[string, string]>([
    ["no final newline", `o\n8\n${b64}`],
    ["no root line", "o\n8\n"],
    ["empty origin", `\n8\n${b64}\n`],
    ["leading zero", `o\n08\n${b64}\n`],
    ["negative size", `o\n-1\n${b64}\n`],
    ["non-decimal size", `o\n0x8\n${b64}\n`],
    ["size above 2^53", `o\n9007199254740993\n${b64}\n`],
    ["bad base64", `o\n8\n${b64.slice(1)}\n`],
    ["31-byte root", `o\n8\n${Buffer.from(root8.subarray(1)).toString("base64")}\n`],
    ["empty extension line", `o\n8\n${b64}\n\next\n`],
  ])("parse rejects %s", async (_why, text) => {
    await expectCode(() => parseCheckpoint(text), "malformed-checkpoint");
  });

  it.each([
    ["empty origin", { origin: "", size: 1, rootHash: root8 }],
    ["multi-line origin", { origin: "a\nb", size: 1, rootHash: root8 }],
    ["fractional size", { origin: "o", size: 1.5, rootHash: root8 }],
    ["negative size", { origin: "o", size: -1, rootHash: root8 }],
    ["short root", { origin: "o", size: 1, rootHash: new Uint8Array(31) }],
    ["empty extension", { origin: "o", size: 1, rootHash: root8, extensions: [""] }],
    ["multi-line extension", { origin: "o", size: 1, rootHash: root8, extensions: ["a\nb"] }],
  ])("format rejects %s with a RangeError", (_why, cp) => {
    expect(() => formatCheckpoint(cp)).toThrow(RangeError);
  });
});

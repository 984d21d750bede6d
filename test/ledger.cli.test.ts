/**
 * `huren ledger …` as an auditor runs it: `npx tsx src/cli/main.ts ledger <verb>` on files in a
 * temp dir, checking exit codes (0 ok, 1 failed, 2 usage) and that failures name the index.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompactSign, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { consistencyProof, inclusionProof } from "../src/ledger/merkle.ts";
import { MemoryStore } from "./merkle-fixtures.ts";
import { buildLedger, runHuren, tamper, type FixtureLedger } from "./ledger-export-fixture.ts";

// Each run starts npx and tsx: seconds apiece on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

const N = 64;
let dir: string;
let L: FixtureLedger;
const f = (name: string) => join(dir, name);

const huren = (args: string[], stdin?: string) => runHuren(["ledger", ...args], stdin);

const b64 = (h: Uint8Array) => Buffer.from(h).toString("base64");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "huren-ledger-cli-"));
  L = await buildLedger(N);
  const store = new MemoryStore();
  await store.append(L.leaves);
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const receipt = await new CompactSign(new TextEncoder().encode(JSON.stringify({ iss: "huren.test", jti: "vf_41", ledger: { index: 41, leafHash: b64(L.leaves[41]!) } })))
    .setProtectedHeader({ alg: "EdDSA", kid: "r1", typ: "huren-receipt+jwt" })
    .sign(privateKey);
  const write = (name: string, text: string) => writeFile(f(name), text);
  await Promise.all([
    write("ledger.key", L.verifierKey + "\n"),
    write("cp-20.txt", await L.note(20)),
    write("cp-64.txt", await L.note(N)),
    write("cp-64-forged.txt", (await L.note(N)).replace(`\n${N}\n`, `\n${N - 1}\n`)),
    write("good.jsonl", L.lines.join("\n") + "\n"),
    write("altered.jsonl", tamper.alter(L.lines, 41).join("\n") + "\n"),
    write("consistency.json", JSON.stringify({ hashes: (await consistencyProof(20, N, store.read)).map(b64) })),
    write("consistency-bad.json", JSON.stringify({ hashes: (await consistencyProof(21, N, store.read)).map(b64) })),
    write("inclusion.json", JSON.stringify({ hashes: (await inclusionProof(41, N, store.read)).map(b64) })),
    write("receipt.jws", receipt),
    write("jwks.json", JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "r1" }] })),
  ]);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("huren ledger verify", () => {
  it("exits 0 on a good export, with two checkpoints", async () => {
    const r = await huren(["verify", "--key", `@${f("ledger.key")}`, "--checkpoint", f("cp-20.txt"), "--checkpoint", f("cp-64.txt"), "--entries", f("good.jsonl")]);
    expect(r.stdout).toMatch(/^OK {2}64 entries checked/);
    expect(r.code).toBe(0);
  });

  it("exits 1 and names the index of an altered entry", async () => {
    const r = await huren(["verify", "--key", L.verifierKey, "--checkpoint", f("cp-64.txt"), "--entries", f("altered.jsonl")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL at index 41: altered — leaf hash differs from the exported leafHash/);
  });

  it("reads stdin, reports JSON, and names the first absent index of a truncated export", async () => {
    const r = await huren(["verify", "--key", `@${f("ledger.key")}`, "--checkpoint", f("cp-64.txt"), "--entries", "-", "--json"], tamper.truncate(L.lines, 58).join("\n") + "\n");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, checked: 58, firstBad: { index: 58, problem: "missing" } });
  });

  it("shows a progress bar on stderr with --progress, and resumes from a saved state", async () => {
    const first = await huren(["verify", "--key", `@${f("ledger.key")}`, "--checkpoint", f("cp-20.txt"), "--entries", "-", "--save-state", f("state.json"), "--progress"], L.lines.slice(0, 20).join("\n"));
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/verifying .*20\/20 entries/);
    const next = await huren(["verify", "--key", `@${f("ledger.key")}`, "--checkpoint", f("cp-64.txt"), "--entries", "-", "--resume", f("state.json")], L.lines.slice(20).join("\n"));
    expect(next.stdout).toMatch(/^OK {2}44 entries checked/);
    expect(next.code).toBe(0);
  });

  it("exits 1 when a checkpoint's signature fails, 2 on usage errors", async () => {
    const forged = await huren(["verify", "--key", `@${f("ledger.key")}`, "--checkpoint", f("cp-64-forged.txt"), "--entries", f("good.jsonl")]);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toMatch(/FAIL: .*cp-64-forged\.txt: bad-signature/);
    const usage = await Promise.all([
      huren(["verify", "--key", `@${f("ledger.key")}`, "--checkpoint", f("cp-64.txt")]),
      huren(["verify", "--key", "not-a-key", "--checkpoint", f("cp-64.txt"), "--entries", f("good.jsonl")]),
      huren(["verify", "--key", `@${f("ledger.key")}`, "--checkpoint", f("cp-64.txt"), "--entries", f("absent.jsonl")]),
      huren(["frobnicate"]),
    ]);
    expect(usage.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(usage[0]!.stderr).toMatch(/--entries is required/);
  });
});

describe("huren ledger checkpoint, consistency, inclusion", () => {
  it("checks a checkpoint's signature", async () => {
    const r = await huren(["checkpoint", "--key", `@${f("ledger.key")}`, f("cp-64.txt")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK {2}.*huren\.test\/ledger size 64 root /);
  });

  it("checks consistency between an older and a newer checkpoint", async () => {
    const args = ["consistency", "--key", `@${f("ledger.key")}`, "--old", f("cp-20.txt"), "--new", f("cp-64.txt"), "--proof"];
    const [ok, bad] = await Promise.all([huren([...args, f("consistency.json")]), huren([...args, f("consistency-bad.json")])]);
    expect(ok.code).toBe(0);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL: consistency: inconsistent/);
  });

  it("checks a receipt's inclusion", async () => {
    const args = ["inclusion", "--key", `@${f("ledger.key")}`, "--checkpoint", f("cp-64.txt"), "--receipt", f("receipt.jws"), "--jwks", f("jwks.json"), "--proof"];
    const [ok, bad] = await Promise.all([huren([...args, f("inclusion.json")]), huren([...args, f("consistency.json")])]);
    expect(ok.stdout).toMatch(/^OK {2}receipt vf_41 is entry 41/);
    expect(ok.code).toBe(0);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/not-included/);
  });
});

/**
 * §5.3 offline proofs: GET /v1/ledger/proofs/bundle (409 until a checkpoint covers the entry, a
 * window only for its own entries), the C2SP tlog-proof format, and `huren receipt verify` on
 * files alone — run in a network namespace with no network at all where the machine allows —
 * checking the receipt's signature, inclusion, the log's signature and the witness quorum, and
 * naming what failed.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { publishCheckpoint } from "../src/ledger/checkpoints.ts";
import { cosignerFromJwk, generateCosignerJwk, signCosignature, type CosignerSigner } from "../src/ledger/cosignature.ts";
import { parseVerifierKey } from "../src/ledger/note.ts";
import { formatProofBundle, parseProofBundle } from "../src/ledger/proof-bundle.ts";
import { verifyReceiptBundle, type BundleInput } from "../src/ledger/verify-bundle.ts";
import { createHarness, newKey, type Actor, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";

vi.setConfig({ testTimeout: 120_000 });

let h: Harness;
let w: World;
let auditor: Actor;
let otherWindow: Actor;
let receipt: string;
let index: number;
let dir: string;
let jwks: BundleInput["jwks"];
const witnesses: CosignerSigner[] = [];

const verify = async (caseRef: string) => {
  const res = await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: caseRef, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
  expect(res.status).toBe(200);
  return (await res.json()) as { receipt: string; ledger: { index: number } };
};
const bundleOf = (actor: Actor, i: number) => h.call(actor, "GET", `/v1/ledger/proofs/bundle?index=${i}`);

/** The bundle with cosignature lines by `signers` appended to its checkpoint, as a witnessed checkpoint is served. */
async function cosigned(text: string, signers: typeof witnesses, at = 1_790_000_000): Promise<string> {
  const b = parseProofBundle(text);
  const body = b.checkpoint.slice(0, b.checkpoint.indexOf("\n\n") + 1);
  const lines = await Promise.all(signers.map((s, i) => signCosignature(s, body, at + i)));
  return formatProofBundle({ ...b, checkpoint: b.checkpoint + lines.map((l) => `${l}\n`).join("") });
}

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  auditor = await h.addMember("bundle-auditor", "auditor");
  otherWindow = await h.addMember("other-window", "window", "220102");
  for (let i = 0; i < 3; i++) witnesses.push(await cosignerFromJwk(`witness-${i}.example`, await generateCosignerJwk()));
  dir = await mkdtemp(join(tmpdir(), "huren-bundle-"));
  jwks = (await h.deps.keys.jwks()) as BundleInput["jwks"];
});
afterAll(async () => {
  await w?.close();
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("GET /v1/ledger/proofs/bundle", () => {
  it("409 not-yet-checkpointed with Retry-After until a checkpoint covers the entry", async () => {
    ({ receipt, ledger: { index } } = await verify("BUNDLE-1"));
    const early = await bundleOf(w.window, index);
    expect(early.status).toBe(409);
    expect(early.headers.get("retry-after")).toBe("2");
    expect(((await early.json()) as { type: string }).type).toBe("https://huren.dev/problems/not-yet-checkpointed");
    await verify("BUNDLE-2"); // so the checkpoint's tree has two leaves and the proof a hash
    await publishCheckpoint(h.deps.db, h.deps.ledger.signer);
    await verify("BUNDLE-3"); // a later entry: the checkpoint still covers the first
    const res = await bundleOf(w.window, index);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/x.tlog-proof; charset=utf-8");
    const text = await res.text();
    expect(text.startsWith(`c2sp.org/tlog-proof@v1\nindex ${index}\n`)).toBe(true);
    expect(parseProofBundle(text).checkpoint).toMatch(/^huren\.test\/ledger\n\d+\n/);
    await writeFile(join(dir, "bundle.tlog-proof"), text);
  });

  it("a window gets bundles of its own entries only; auditors any; an unknown entry is 404 for auditors, 403 for windows", async () => {
    expect((await bundleOf(otherWindow, index)).status).toBe(403);
    expect((await bundleOf(auditor, index)).status).toBe(200);
    expect((await bundleOf(auditor, 999)).status).toBe(404);
    expect((await bundleOf(w.window, 999)).status).toBe(403);
  });
});

describe("verifying a receipt with its bundle, offline", () => {
  const check = async (proof: string, overrides: Partial<BundleInput> = {}) => {
    const steps = await verifyReceiptBundle({
      receipt,
      jwks,
      proof,
      logKey: parseVerifierKey(h.deps.ledger.signer.verifierKey),
      witnesses: witnesses.slice(0, 2),
      quorum: 2,
      ...overrides,
    });
    return Object.fromEntries(steps.map((s) => [s.step, s.ok ? "ok" : s.problem]));
  };
  const bundle = async () => (await bundleOf(auditor, index)).text();

  it("passes with two cosignatures; names the failing check otherwise", async () => {
    const good = await cosigned(await bundle(), witnesses.slice(0, 2));
    expect(await check(good)).toEqual({ proof: "ok", checkpoint: "ok", receipt: "ok", inclusion: "ok", witnesses: "ok" });
    // One witness short; a cosignature by a third, unconfigured witness does not count.
    expect((await check(await cosigned(await bundle(), [witnesses[0]!, witnesses[2]!]))).witnesses).toBe("no-quorum");
    // A cosignature over another checkpoint (lines moved from a different one).
    const moved = good.replace(/(— witness-1\.example )(\S+)/, (_m, p: string, b64: string) => p + Buffer.from(Buffer.from(b64, "base64").map((x, i) => (i === 20 ? x ^ 1 : x))).toString("base64"));
    expect((await check(moved)).witnesses).toBe("no-quorum");
    // The proof's hashes altered: not included.
    const b = parseProofBundle(good);
    b.hashes[0]![0]! ^= 1;
    expect((await check(formatProofBundle(b))).inclusion).toBe("not-included");
    // The checkpoint altered: its log signature fails (and nothing is claimed about inclusion).
    expect(await check(good.replace(/\n(\d+)\n(?=\S+=\n\n)/, (_m, n: string) => `\n${Number(n) + 1}\n`))).toMatchObject({ checkpoint: "bad-signature" });
    // Another receipt key: the signature fails.
    const stranger = (await newKey()).publicJwk;
    const other = { keys: jwks.keys.map((k) => ({ ...k, x: stranger.x })) };
    expect((await check(good, { jwks: other as BundleInput["jwks"] })).receipt).toBe("bad-receipt");
    expect((await check("not a proof")).proof).toBe("malformed-proof");
  });
});

describe("huren receipt verify, with no network", () => {
  const exec = promisify(execFile);
  const run = async (args: string[]) => {
    const isolated = await exec("unshare", ["-n", "true"]).then(
      () => true,
      () => false,
    );
    const cmd = isolated ? ["unshare", "-n", "npx", "tsx", "src/cli/main.ts"] : ["npx", "tsx", "src/cli/main.ts"];
    return exec(cmd[0]!, [...cmd.slice(1), "receipt", "verify", ...args], { timeout: 90_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
  };

  it("exit 0 on a good receipt and bundle, 1 naming the failure", async () => {
    const f = (name: string) => join(dir, name);
    const good = await cosigned(await (await bundleOf(auditor, index)).text(), witnesses.slice(0, 2));
    await Promise.all([
      writeFile(f("receipt.jws"), receipt + "\n"),
      writeFile(f("jwks.json"), JSON.stringify(jwks)),
      writeFile(f("ledger.key"), h.deps.ledger.signer.verifierKey + "\n"),
      writeFile(f("good.tlog-proof"), good),
      writeFile(f("w0.vkey"), witnesses[0]!.vkey + "\n"),
    ]);
    const base = [f("receipt.jws"), "--jwks", f("jwks.json"), "--key", `@${f("ledger.key")}`, "--witness", `@${f("w0.vkey")}`, "--witness", witnesses[1]!.vkey];
    const ok = await run([...base, "--proof", f("good.tlog-proof"), "--quorum", "2"]);
    expect(ok.stdout).toContain("OK    inclusion:");
    expect(ok.stdout).toContain("OK    witnesses: 2 of 2 witnesses cosigned (quorum 2)");
    expect(ok.code).toBe(0);

    await writeFile(f("one.tlog-proof"), await cosigned(await (await bundleOf(auditor, index)).text(), witnesses.slice(0, 1)));
    const short = await run([...base, "--proof", f("one.tlog-proof"), "--quorum", "2"]);
    expect(short.stdout).toMatch(/FAIL {2}witnesses: no-quorum — 1 of the quorum of 2 witnesses cosigned \(witness-0\.example\): no cosignature by witness-1\.example/);
    expect(short.code).toBe(1);
  });
});

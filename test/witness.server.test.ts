/**
 * `huren witness` against C2SP tlog-witness, over real HTTP on 127.0.0.1: every status code,
 * cosignature/v1 answers that verify with the printed vkey, refusal of a fork and a rollback,
 * compare-and-swap under concurrent submissions, and a key that survives a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSignerKey, openNote, parseVerifierKey } from "../src/ledger/note.ts";
import { generateCosignerJwk, parseCosignerKey, verifyCosignature } from "../src/ledger/cosignature.ts";
import { parseWitnessArgs, startWitness, type RunningWitness } from "../src/witness/command.ts";
import { MemoryLog, postCheckpoint } from "./witness-log.ts";

let dir: string;
let log: MemoryLog;
let witness: RunningWitness;
const ORIGIN = "huren.test/ledger";

const args = (extra: string[] = []) =>
  parseWitnessArgs(["--listen", "127.0.0.1:0", "--name", "audit.test/witness", "--log", `${ORIGIN}=${log.key.verifierKey}`, "--data", join(dir, "w"), ...extra]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "huren-witness-"));
  log = await MemoryLog.create(ORIGIN);
  witness = await startWitness(args());
}, 300_000); // PGlite initdb on disk: slow on a busy machine
afterAll(async () => {
  await witness?.close();
  await rm(dir, { recursive: true, force: true });
});

async function cosignatureOf(text: string, size: number): Promise<number | undefined> {
  const noteText = (await openNote(await log.checkpoint(size), [log.key.verifierKey])).text;
  return verifyCosignature(parseCosignerKey(witness.vkey), noteText, text.trimEnd());
}

describe("add-checkpoint", () => {
  it("cosigns a first checkpoint (old 0) with a cosignature/v1 line that verifies with its vkey", async () => {
    await log.append(5);
    const res = await postCheckpoint(witness.url, await log.addCheckpointBody(0));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^\u2014 audit\.test\/witness [A-Za-z0-9+/]+=*\n$/);
    const time = await cosignatureOf(res.text, 5);
    expect(time).toBeGreaterThan(1_700_000_000);
  });

  it("409 with text/x.tlog.size naming its latest size when old size is not it", async () => {
    await log.append(3);
    const res = await postCheckpoint(witness.url, await log.addCheckpointBody(0));
    expect(res).toMatchObject({ status: 409, text: "5\n" });
    expect(res.type).toMatch(/^text\/x\.tlog\.size/);
  });

  it("422 for a bad consistency proof, then 200 for the right one", async () => {
    const proof = await log.proof(5);
    const bad = [...proof.slice(0, -1), Buffer.alloc(32, 7).toString("base64")];
    expect((await postCheckpoint(witness.url, await log.addCheckpointBody(5, 8, bad))).status).toBe(422);
    const ok = await postCheckpoint(witness.url, await log.addCheckpointBody(5));
    expect(ok.status).toBe(200);
    expect(await cosignatureOf(ok.text, 8)).toBeDefined();
  });

  it("404 unknown origin, 403 no valid log signature, 400 old size above the checkpoint or a malformed body", async () => {
    const other = await MemoryLog.create("elsewhere.test/log");
    await other.append(2);
    expect((await postCheckpoint(witness.url, await other.addCheckpointBody(0))).status).toBe(404);
    const impostor = await generateSignerKey(ORIGIN);
    const forged = `old 8\n\n${await log.checkpoint(8, impostor.signerKey)}`;
    expect((await postCheckpoint(witness.url, forged)).status).toBe(403);
    expect((await postCheckpoint(witness.url, `old 9\n\n${await log.checkpoint(8)}`)).status).toBe(400);
    expect((await postCheckpoint(witness.url, `old 08\n\n${await log.checkpoint(8)}`)).status).toBe(400);
    expect((await postCheckpoint(witness.url, "no blank line")).status).toBe(400);
    expect((await postCheckpoint(witness.url, `old 8\nnot-base64!\n\n${await log.checkpoint(8)}`)).status).toBe(400);
  });

  it("refuses a fork: the same size with another root (409, not a size answer), and cosigns nothing", async () => {
    const fork = await log.fork("-forked").append(8);
    const res = await postCheckpoint(witness.url, await fork.addCheckpointBody(8, 8, []));
    expect(res.status).toBe(409);
    expect(res.type).not.toMatch(/x\.tlog\.size/);
    expect(res.text).toMatch(/fork/);
    // A forked continuation from the shared size fails its proof.
    await fork.append(2);
    expect((await postCheckpoint(witness.url, `old 8\n${(await fork.proof(8)).map((h) => `${h}\n`).join("")}\n${await fork.checkpoint()}`)).status).toBe(422);
  });

  it("refuses a rollback to a smaller tree: 400 with its own size as old, 409 with the smaller one", async () => {
    expect((await postCheckpoint(witness.url, `old 8\n\n${await log.checkpoint(5)}`)).status).toBe(400);
    const res = await postCheckpoint(witness.url, await log.addCheckpointBody(5, 5));
    expect(res).toMatchObject({ status: 409, text: "8\n" });
  });

  it("compare-and-swap: two concurrent submissions from size 8, one wins, the other is told the new size", async () => {
    await log.append(4); // 12
    const [a, b] = await Promise.all([postCheckpoint(witness.url, await log.addCheckpointBody(8, 10)), postCheckpoint(witness.url, await log.addCheckpointBody(8, 12))]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const won = a.status === 200 ? 10 : 12;
    expect((a.status === 409 ? a : b).text).toBe(`${won}\n`);
    // Never rolled back: the latest is the winner's size.
    expect((await postCheckpoint(witness.url, await log.addCheckpointBody(0))).text).toBe(`${won}\n`);
  });
});

describe("the witness key", () => {
  it("is generated on first start and kept: a restart on the same data dir has the same vkey and state", { timeout: 300_000 }, async () => {
    const vkey = witness.vkey;
    expect(parseCosignerKey(vkey).name).toBe("audit.test/witness");
    await witness.close();
    witness = await startWitness(args());
    expect(witness.vkey).toBe(vkey);
    const res = await postCheckpoint(witness.url, await log.addCheckpointBody(0));
    expect(res.status).toBe(409);
  });

  it("--key takes a private JWK instead; a wrong vkey kind for --log is refused at start", { timeout: 300_000 }, async () => {
    const jwk = await generateCosignerJwk();
    await writeFile(join(dir, "key.json"), JSON.stringify(jwk));
    const other = await startWitness(parseWitnessArgs(["--listen", "127.0.0.1:0", "--name", "w2.test", "--log", `${ORIGIN}=${log.key.verifierKey}`, "--key", join(dir, "key.json"), "--data", join(dir, "w2")]));
    try {
      expect(parseCosignerKey(other.vkey).publicKey).toEqual(new Uint8Array(Buffer.from(jwk.x!, "base64url")));
    } finally {
      await other.close();
    }
    expect(() => parseWitnessArgs(["--listen", "127.0.0.1:0", "--name", "w", "--log", `${ORIGIN}=${witness.vkey}`])).toThrow(/Ed25519|key/);
    expect(() => parseWitnessArgs(["--name", "w", "--log", `${ORIGIN}=${log.key.verifierKey}`])).toThrow(/--listen/);
    expect(parseVerifierKey(log.key.verifierKey).name).toBe(ORIGIN);
  });
});

/**
 * The gateway with witnesses (PROTOCOL §5.2): two real `huren witness` servers — one a child
 * process started by the CLI, one in-process — plus a fake that answers 409 forever, one that
 * hangs, and one that is down. Cosignatures that verify are stored and served after the log's
 * own signature; the served checkpoint waits for the quorum; a 409 is followed by proving from
 * the named size; verifications keep working while witnesses hang or are down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createApp, type HurenApp } from "../src/app.ts";
import { assembleDeps } from "../src/entry/assemble.ts";
import type { AppDeps } from "../src/deps.ts";
import { createUndiciHttpClient } from "../src/http/undici-client.ts";
import { checkpointAt } from "../src/ledger/checkpoints.ts";
import { parseCosignerKey, verifyCosignature } from "../src/ledger/cosignature.ts";
import { openNote, parseCheckpoint, parseVerifierKey } from "../src/ledger/note.ts";
import { parseProofBundle } from "../src/ledger/proof-bundle.ts";
import { verifyReceiptBundle } from "../src/ledger/verify-bundle.ts";
import { witnessSettings } from "../src/ledger/witness-config.ts";
import { parseWitnessArgs, startWitness, type RunningWitness } from "../src/witness/command.ts";
import { createHarness, GATEWAY_ID, signRequest, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";
import { postCheckpoint } from "./witness-log.ts";

const ORIGIN = `${GATEWAY_ID}/ledger`;
let h: Harness;
let world: World;
let dir: string;
let child: ChildProcess;
let a: { url: string; vkey: string };
let b: RunningWitness;
/** B sits behind a switch: off, its front answers 503 as a witness that is down for maintenance. */
let bOnline = true;
let bFront: string;
const servers: { close(): void }[] = [];
const fakeBodies: string[] = [];
let slowArrived: Promise<void>;
let releaseSlow: () => void;
let downUrl: string;
let deps: AppDeps & { close(): Promise<void> };
let app: HurenApp;
let clockOffset = 0;

function listen(app: Hono): Promise<{ url: string; port: number; close(): void }> {
  return new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve({ url: `http://127.0.0.1:${info.port}`, port: info.port, close: () => s.close() }));
  });
}

/** `huren witness` as a real child process; resolves with what it prints when ready. */
function startChildWitness(args: string[]): Promise<{ url: string; vkey: string }> {
  child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "witness", ...args], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let url = "";
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("witness listening: ")) url = line.slice("witness listening: ".length);
      if (line.startsWith("witness vkey: ")) resolve({ url, vkey: line.slice("witness vkey: ".length) });
    });
    child.once("exit", (code) => reject(new Error(`huren witness exited with ${code}`)));
  });
}

const witnessArgs = (name: string, data: string) => ["--listen", "127.0.0.1:0", "--name", name, "--log", `${ORIGIN}=${h.deps.ledger.signer.verifierKey}`, "--data", data];

beforeAll(async () => {
  h = await createHarness();
  world = await createWorld(h);
  dir = await mkdtemp(join(tmpdir(), "huren-gw-witness-"));
  a = await startChildWitness(witnessArgs("a.test/witness", join(dir, "a")));
  b = await startWitness(parseWitnessArgs(witnessArgs("b.test/witness", join(dir, "b"))));
  const front = await listen(
    new Hono().post("/add-checkpoint", async (c) => {
      if (!bOnline) return c.text("down for maintenance\n", 503);
      const res = await fetch(`${b.url}/add-checkpoint`, { method: "POST", body: await c.req.text() });
      return c.body(await res.text(), res.status as 200, { "content-type": res.headers.get("content-type") ?? "text/plain" });
    }),
  );
  servers.push(front);
  bFront = front.url;

  const fake = new Hono().post("/add-checkpoint", async (c) => {
    const body = await c.req.text();
    fakeBodies.push(body);
    const old = Number(/^old (\d+)/.exec(body)![1]);
    return c.body(`${old + 1}\n`, 409, { "content-type": "text/x.tlog.size" });
  });
  let arrived!: () => void;
  slowArrived = new Promise((r) => (arrived = r));
  const released = new Promise<void>((r) => (releaseSlow = r));
  const slow = new Hono().post("/add-checkpoint", async (c) => {
    arrived();
    await released;
    return c.text("busy\n", 503);
  });
  const down = await listen(new Hono());
  down.close();
  downUrl = down.url;
  const [fakeServer, slowServer] = await Promise.all([listen(fake), listen(slow)]);
  servers.push(fakeServer, slowServer);

  const dummyVkey = async () => (await startEphemeralVkey())!;
  const settings = witnessSettings(
    [
      { name: "audit-bureau", vkey: a.vkey, url: a.url },
      { name: "supervision-office", vkey: b.vkey, url: bFront },
      { name: "always-409", vkey: await dummyVkey(), url: fakeServer.url },
      { name: "hangs", vkey: await dummyVkey(), url: slowServer.url },
      { name: "down", vkey: await dummyVkey(), url: downUrl },
    ],
    2,
  );
  // A second set of deps on the same database, now that the ledger key exists for the witnesses'
  // --log: the gateway as an operator runs it, with witnesses configured.
  deps = await assembleDeps({
    gatewayId: GATEWAY_ID,
    database: { ...h.database, close: async () => {} },
    secret: h.secret,
    http: createUndiciHttpClient(),
    logger: { info: () => {}, error: () => {} },
    witnesses: settings,
    now: () => new Date(Date.now() + clockOffset),
  });
  app = createApp(deps);
}, 300_000); // PGlite initdb for three databases: slow on a busy machine

afterAll(async () => {
  releaseSlow?.();
  await deps?.close();
  child?.kill("SIGTERM");
  await b?.close();
  for (const s of servers) s.close();
  await world?.close();
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A vkey for a witness whose key nobody here holds (the fakes never produce valid lines). */
async function startEphemeralVkey(): Promise<string> {
  const { generateCosignerJwk, cosignerFromJwk } = await import("../src/ledger/cosignature.ts");
  return (await cosignerFromJwk(`fake-${Math.random().toString(36).slice(2, 8)}.test`, await generateCosignerJwk())).vkey;
}

const receipts = new Map<number, string>();

/** Signs a request at the gateway's (advanced) clock: the test moves it past the witnesses' backoff. */
async function call(method: string, path: string, body = "") {
  const iat = Math.floor((Date.now() + clockOffset) / 1000);
  const token = await signRequest(world.window, method, path, body, { claims: { iat, exp: iat + 120 } });
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body) headers["content-type"] = "application/json";
  return app.request(path, { method, headers, ...(body ? { body } : {}) });
}

async function verify(i: number): Promise<number> {
  const body = JSON.stringify({ matter: HOUSING, case: `WT-${i}`, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
  const res = await call("POST", "/v1/verifications", body);
  expect(res.status).toBe(200);
  const { ledger, receipt } = (await res.json()) as { ledger: { index: number }; receipt: string };
  receipts.set(ledger.index, receipt);
  return ledger.index;
}

async function served() {
  const note = await (await app.request("/v1/ledger/checkpoint")).text();
  const opened = await openNote(note, [h.deps.ledger.signer.verifierKey]);
  const cp = parseCheckpoint(opened.text);
  const lines = note.trimEnd().split("\n").slice(-opened.unverified.length - 1);
  expect(lines[0]).toMatch(new RegExp(`^\u2014 ${ORIGIN} `)); // the log's own signature first
  const cosigners: string[] = [];
  for (const line of lines.slice(1)) {
    for (const w of [a, b]) if ((await verifyCosignature(parseCosignerKey(w.vkey), opened.text, line)) !== undefined) cosigners.push(w === a ? "a" : "b");
  }
  expect(cosigners.length).toBe(lines.length - 1); // every served cosignature verifies
  return { size: cp.size, cosigners };
}

const stat = (name: string) => deps.ledger.witnesses.stats().find((s) => s.name === name)!;

describe("witnesses", () => {
  it("verifications answer while one witness hangs and others are down or refuse; below quorum the newest checkpoint is served with what it has", async () => {
    bOnline = false; // the supervision office is down for now
    for (let i = 1; i <= 3; i++) await verify(i); // ≥ 3 entries: the 409 fake's follows stay below the size
    const tick = await deps.ledger.checkpoints.tick();
    const size1 = tick.published!.size;
    await slowArrived; // a submission is now stuck at the hanging witness…
    for (let i = 4; i <= 6; i++) await verify(i); // …and verifications go on
    releaseSlow();
    await deps.ledger.witnesses.idle();
    expect(await served()).toEqual({ size: size1, cosigners: ["a"] });
    expect(stat("audit-bureau")).toMatchObject({ lastCosignedSize: size1, failures: 0, lastError: null });
    expect(stat("supervision-office")).toMatchObject({ lastCosignedSize: null, failures: 1 });
    expect(stat("down")).toMatchObject({ failures: 1 });
    expect(stat("hangs").lastError).toMatch(/503/);
    // The 409 fake: the first call and two follows, each proving from the size it named.
    expect(fakeBodies.map((body) => body.split("\n")[0])).toEqual(["old 0", "old 1", "old 2"]);
    expect(stat("always-409").lastError).toMatch(/409/);
  });

  it("a witness that already holds a checkpoint answers 409; the gateway proves from that size and the quorum is reached", async () => {
    bOnline = true;
    // Another gateway process submitted an older checkpoint to it before (B now holds size1).
    const size1 = (await served()).size;
    expect((await postCheckpoint(b.url, `old 0\n\n${(await checkpointAt(deps.db, size1))!.note}`)).status).toBe(200);
    clockOffset += 3_600_000; // past every backoff
    const tick = await deps.ledger.checkpoints.tick();
    const size2 = tick.published!.size;
    expect(size2).toBeGreaterThan(size1);
    await deps.ledger.witnesses.idle();
    expect(await served()).toEqual({ size: size2, cosigners: ["a", "b"] });
    expect(stat("supervision-office")).toMatchObject({ lastCosignedSize: size2, failures: 0 });
  });

  it("a newer checkpoint cosigned by one witness only does not replace the served quorum one", async () => {
    const before = await served();
    bOnline = false;
    await verify(10);
    clockOffset += 3_600_000;
    const size3 = (await deps.ledger.checkpoints.tick()).published!.size;
    await deps.ledger.witnesses.idle();
    expect(stat("audit-bureau").lastCosignedSize).toBe(size3);
    expect(await served()).toEqual(before);
  });

  it("a window's proof bundle carries the served quorum checkpoint with both cosignatures, and verifies offline with quorum 2", async () => {
    const { size } = await served();
    const [index, receipt] = [...receipts].find(([i]) => i < size)!;
    const res = await call("GET", `/v1/ledger/proofs/bundle?index=${index}`);
    expect(res.status).toBe(200);
    const proof = await res.text();
    const checkpoint = parseProofBundle(proof).checkpoint;
    expect(checkpoint).toBe(await (await app.request("/v1/ledger/checkpoint")).text());
    const steps = await verifyReceiptBundle({
      receipt,
      jwks: (await deps.keys.jwks()) as Parameters<typeof verifyReceiptBundle>[0]["jwks"],
      proof,
      logKey: parseVerifierKey(h.deps.ledger.signer.verifierKey),
      witnesses: [parseCosignerKey(a.vkey), parseCosignerKey(b.vkey)],
      quorum: 2,
    });
    expect(steps.filter((s) => !s.ok)).toEqual([]);
    expect(steps.find((s) => s.step === "witnesses")!.detail).toMatch(/^2 of 2 witnesses cosigned/);
  });

  it("/readyz details show each witness's last cosigned size and its age", async () => {
    const res = await app.request("/readyz");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { witnesses: { name: string; lastCosignedSize: number | null; ageSeconds: number | null }[] };
    expect(body.witnesses.map((w) => w.name)).toEqual(["audit-bureau", "supervision-office", "always-409", "hangs", "down"]);
    expect(body.witnesses[0]!.lastCosignedSize).toBe(stat("audit-bureau").lastCosignedSize);
    expect(body.witnesses[0]!.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(body.witnesses[4]!.lastCosignedSize).toBeNull();
  });
});

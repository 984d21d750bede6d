/**
 * §5.1 checked by someone else's code: Go's golang.org/x/mod/sumdb/note opens the checkpoint
 * and golang.org/x/mod/sumdb/tlog's TileHashReader reads the C2SP tiles from a real gateway on
 * 127.0.0.1 (test/go/tiles/main.go), reproduces the root, proves leaves and consistency with an
 * older checkpoint, and rejects a corrupted tile.
 *
 * Needs Debian's golang-go and golang-golang-x-mod-dev (no network: GOPATH mode over
 * /usr/share/gocode); .ci/run installs them. Without them the test is skipped, saying so.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { serve, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEntries, type LedgerEntryInput } from "../src/ledger/append.ts";
import { publishCheckpoint, type StoredCheckpoint } from "../src/ledger/checkpoints.ts";
import { createHarness, type Harness } from "./harness.ts";

const run = promisify(execFile);
const GOPATH = "/usr/share/gocode";
const goFound = await run("go", ["version"]).then(
  () => existsSync(join(GOPATH, "src/golang.org/x/mod/sumdb/tlog")),
  () => false,
);
if (!goFound) {
  console.warn("SKIPPED ledger.go-tiles: needs `go` and golang.org/x/mod in /usr/share/gocode (apt-get install golang-go golang-golang-x-mod-dev)");
}

const env = { ...process.env, GO111MODULE: "off", GOPATH, GOFLAGS: "", GOCACHE: join(tmpdir(), "huren-go-cache") };
let h: Harness;
let server: ServerType;
let prefix: string;
let dir: string;
let binary: string;
let old: StoredCheckpoint;

const input = (i: number): LedgerEntryInput => ({
  entry: { kind: "test", n: i },
  verificationId: `vf_go_${i}`,
  subjectRef: "sr",
  requester: "w",
  uid: undefined,
  matter: undefined,
  caseRef: undefined,
  decision: "permitted",
  evidenceTypes: [],
  recordedAt: new Date(0),
});

describe.skipIf(!goFound)("Go's sumdb/tlog reads the gateway's tiles", () => {
  beforeAll(async () => {
    h = await createHarness();
    const append = (from: number, to: number) => h.deps.db.transaction((tx) => appendEntries(tx, Array.from({ length: to - from }, (_, k) => input(from + k))));
    await append(0, 300);
    old = await publishCheckpoint(h.deps.db, h.deps.ledger.signer);
    await append(300, 1100);
    await publishCheckpoint(h.deps.db, h.deps.ledger.signer);
    prefix = await new Promise<string>((resolve) => {
      server = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve(`http://127.0.0.1:${info.port}/v1/ledger`));
    });
    dir = await mkdtemp(join(tmpdir(), "huren-go-tiles-"));
    binary = join(dir, "tiles");
    await run("go", ["build", "-o", binary, "./test/go/tiles"], { env });
  }, 180_000);
  afterAll(async () => {
    server?.close();
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const args = () => [prefix, h.deps.ledger.signer.verifierKey, String(old.size), old.rootHash];

  it("reproduces the checkpoint's root, proves leaves and consistency", async () => {
    const { stdout } = await run(binary, args());
    expect(stdout).toContain(`OK checkpoint huren.test/ledger size 1100`);
    expect(stdout).toContain("OK tiles reproduce the root of 1100");
    expect(stdout).toContain("OK leaf 1099");
    expect(stdout).toContain("OK tree of 300 is a prefix of the tree of 1100");
  });

  it("fails on a corrupted tile", async () => {
    const err = (await run(binary, [...args(), "corrupt"]).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    ))!;
    expect(err.code).toBe(1);
    expect(err.stdout).toMatch(/FAIL tree hash from tiles: .*(downloaded inconsistent tile|tlog)/);
  });
});

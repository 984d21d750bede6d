/**
 * Key history (§13.5): rotating the receipt-signing key keeps old receipts verifiable (the old
 * public key stays in the JWKS with its validity period), each change is a `key-rotation` ledger
 * entry, other processes pick the new key up, a configured key (env/file) is recorded when it
 * changes, and `huren keys rotate` drives the admin API.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadGatewayKeys, KEY_REFRESH_MS } from "../src/keys/gateway-keys.ts";
import { fileKeySource } from "../src/keys/key-source.ts";
import { publishCheckpoint } from "../src/ledger/checkpoints.ts";
import { parseVerifierKey } from "../src/ledger/note.ts";
import { getEntry } from "../src/ledger/store.ts";
import { verifyReceiptBundle, type BundleInput } from "../src/ledger/verify-bundle.ts";
import { createHarness, GATEWAY_ID, type Actor, type Harness } from "./harness.ts";
import { runHuren } from "./ledger-export-fixture.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";

vi.setConfig({ testTimeout: 120_000 });

let h: Harness;
let w: World;
let auditor: Actor;

const verify = async (caseRef: string) => {
  const res = await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: caseRef, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
  expect(res.status).toBe(200);
  return (await res.json()) as { receipt: string; ledger: { index: number } };
};
const jwks = async () => (await (await h.app.request("/.well-known/jwks.json")).json()) as { keys: (Record<string, string> & { kid: string })[] };
const rotate = (actor: Actor) => h.call(actor, "POST", "/v1/keys/rotate");

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  auditor = await h.addMember("keys-auditor", "auditor");
});
afterAll(async () => {
  await w?.close();
  await h?.close();
});

describe("rotating the receipt key", () => {
  it("old receipts stay verifiable; the new key signs; the JWKS shows validity; the ledger records it", async () => {
    const before = await verify("ROT-1");
    const oldKid = decodeProtectedHeader(before.receipt).kid!;

    expect((await rotate(w.window)).status).toBe(403);
    const res = await rotate(h.admin);
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { kid: string; previousKid: string; ledger: { index: number } };
    expect(rotated.previousKid).toBe(oldKid);
    expect(rotated.kid).not.toBe(oldKid);

    const after = await verify("ROT-2");
    expect(decodeProtectedHeader(after.receipt).kid).toBe(rotated.kid);

    const keys = (await jwks()).keys;
    const old = keys.find((k) => k.kid === oldKid)!;
    const current = keys.find((k) => k.kid === rotated.kid)!;
    expect(old.validUntil).toBe(current.validFrom);
    expect(Date.parse(old.validFrom!)).toBeLessThanOrEqual(Date.parse(old.validUntil!));
    expect(current.validUntil).toBeUndefined();
    expect(keys.every((k) => k.d === undefined)).toBe(true);

    const entry = (await getEntry(h.deps.db, rotated.ledger.index))!;
    expect(entry.entry).toMatchObject({ v: 1, kind: "key-rotation", gateway: GATEWAY_ID, requester: h.admin.id, purpose: "receipt-signing", retiredKid: oldKid, newKid: rotated.kid, source: "sealed store" });
    expect(rotated.ledger.index).toBeGreaterThan(before.ledger.index);

    // The receipt from before the rotation, with its bundle, checks offline against today's JWKS.
    await publishCheckpoint(h.deps.db, h.deps.ledger.signer);
    for (const r of [before, after]) {
      const proof = await (await h.call(auditor, "GET", `/v1/ledger/proofs/bundle?index=${r.ledger.index}`)).text();
      const input: BundleInput = { receipt: r.receipt, jwks: (await jwks()) as BundleInput["jwks"], proof, logKey: parseVerifierKey(h.deps.ledger.signer.verifierKey), witnesses: [], quorum: 0 };
      const steps = await verifyReceiptBundle(input);
      expect(steps.filter((s) => !s.ok)).toEqual([]);
    }
    // A receipt dated after its key was retired is refused.
    const forged = await verifyReceiptBundle({
      receipt: before.receipt,
      jwks: { keys: (await jwks()).keys.map((k) => (k.kid === oldKid ? { ...k, validUntil: "2000-01-01T00:00:00.000Z" } : k)) } as BundleInput["jwks"],
      proof: await (await h.call(auditor, "GET", `/v1/ledger/proofs/bundle?index=${before.ledger.index}`)).text(),
      logKey: parseVerifierKey(h.deps.ledger.signer.verifierKey),
      witnesses: [],
      quorum: 0,
    });
    expect(forged.find((s) => s.step === "receipt")).toMatchObject({ ok: false, problem: "key-not-valid-then" });
  });

  it("another process on the same database picks up the new key within KEY_REFRESH_MS", async () => {
    let t = 0;
    const other = await loadGatewayKeys({ db: h.deps.db, secrets: h.deps.secrets, now: () => t });
    const kid = other.signer.kid;
    const rotated = (await (await rotate(h.admin)).json()) as { kid: string };
    expect(rotated.kid).not.toBe(kid);
    t = KEY_REFRESH_MS - 1;
    expect(decodeProtectedHeader(await other.signer.signJson("x", {})).kid).toBe(kid);
    t = KEY_REFRESH_MS + 1;
    expect(decodeProtectedHeader(await other.signer.signJson("x", {})).kid).toBe(rotated.kid);
  });

  it("a configured key (file) that changes is recorded as a rotation; a retired key is refused", async () => {
    const dir = await mkdtemp(join(tmpdir(), "huren-keys-"));
    try {
      const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      await writeFile(join(dir, "receipt.jwk"), JSON.stringify({ ...(await exportJWK(privateKey)), kid: "operator-2026-12" }));
      const previous = h.deps.keys.signer.kid;
      const keys = await loadGatewayKeys({ db: h.deps.db, secrets: h.deps.secrets, source: fileKeySource(join(dir, "receipt.jwk"), (p) => import("node:fs/promises").then((fs) => fs.readFile(p, "utf8"))) });
      expect(keys.signer.kid).toBe("operator-2026-12");
      const published = (await jwks()).keys;
      expect(published.find((k) => k.kid === previous)!.validUntil).toBeDefined();
      expect(published.find((k) => k.kid === "operator-2026-12")!.validUntil).toBeUndefined();
      // The admin API cannot rotate a configured key away (the sealed store is not what signs).
      const { rotateSealedKey } = await import("../src/keys/rotation.ts");
      await expect(rotateSealedKey(h.deps.db, h.deps.secrets, { requester: "x" })).rejects.toThrow(/operator.s configuration/);
      // Going back to the sealed store makes a new sealed key (ledgered); the old one is not reused.
      const sealed = await loadGatewayKeys({ db: h.deps.db, secrets: h.deps.secrets });
      expect([previous, "operator-2026-12"]).not.toContain(sealed.signer.kid);
      await expect(loadGatewayKeys({ db: h.deps.db, secrets: h.deps.secrets, source: fileKeySource(join(dir, "receipt.jwk"), (p) => import("node:fs/promises").then((fs) => fs.readFile(p, "utf8"))) })).rejects.toThrow(/was retired/);
      await h.deps.keys.refresh();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("huren keys rotate", { timeout: 180_000 }, async () => {
    const server = await new Promise<{ url: string; close(): void }>((resolve) => {
      const s = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve({ url: `http://127.0.0.1:${info.port}`, close: () => s.close() }));
    });
    const dir = await mkdtemp(join(tmpdir(), "huren-keys-cli-"));
    try {
      const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      const { putMember } = await import("../src/members/members.ts");
      await putMember(h.deps.db, "ops-admin", { kind: "admin", name: "ops", jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: "a1" } as never] }, enabled: true });
      await writeFile(join(dir, "admin.json"), JSON.stringify({ gateway: server.url, gatewayId: GATEWAY_ID, member: "ops-admin", jwk: { ...(await exportJWK(privateKey)), kid: "a1" } }));
      const before = h.deps.keys.signer.kid;
      const r = await runHuren(["keys", "rotate", "--admin-key", join(dir, "admin.json")]);
      expect(r.stdout).toMatch(new RegExp(`^OK  receipts are now signed with key \\S+ \\(was ${before}, still published`));
      expect(r.stdout).toMatch(/recorded as ledger entry \d+/);
      expect(r.code).toBe(0);
      expect(h.deps.keys.signer.kid).not.toBe(before);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The window-vendor SDK against a real gateway on loopback: signing (§2), a verification, the
 * receipt checked offline (§3), a tlog-proof bundle checked offline (§5.3) with a witness quorum.
 * The SDK is imported from its package entry, as a vendor would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, generateKeyPairSync, sign as edSign } from "node:crypto";
import { serve } from "@hono/node-server";
import { CompactSign, exportJWK, generateKeyPair, type JSONWebKeySet } from "jose";
import { createClient, GatewayError, verifyProofBundle, verifyReceipt, VerifyError, maskId, subjectCommitment, type HurenClient } from "@huren/client";
import { createHarness, type Harness } from "../../../test/harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "../../../test/world.ts";

let h: Harness;
let w: World;
let url: string;
let close: () => void;
let huren: HurenClient;

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  await new Promise<void>((resolve) => {
    const s = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
      url = `http://127.0.0.1:${info.port}`;
      close = () => s.close();
      resolve();
    });
  });
  huren = createClient({ gateway: url, gatewayId: "huren.test", member: w.window.id, key: { privateKey: w.window.privateKey, kid: w.window.kid, alg: "EdDSA" }, uid: w.window.uid! });
});
afterAll(async () => {
  close?.();
  await w?.close();
  await h?.close();
});

const request = { matter: HOUSING, case: "SDK-2026-0001", subject: zhangSan, evidence: [{ type: "housing.no-property-proof" as const }] };

describe("@huren/client against a running gateway", () => {
  it("signs a verification the gateway accepts, and the receipt verifies offline with the published JWKS", async () => {
    const answer = await huren.verifications.create(request);
    expect(answer.results[0]).toMatchObject({ type: "housing.no-property-proof", status: "verified" });
    const jwks = (await huren.receipts.jwks()) as JSONWebKeySet;
    const payload = await huren.receipts.verify(answer.receipt, { jwks, issuer: "huren.test", audience: w.window.id });
    expect(payload).toMatchObject({ jti: answer.verificationId, case: "SDK-2026-0001", uid: w.window.uid });
    expect(payload.subject.masked).toBe(maskId(zhangSan.id));
    // The live gateway's commitment opens with the answer's subjectOpening (PROTOCOL v1.1 §3), for this person only.
    await expect(huren.receipts.verify(answer.receipt, { jwks, opening: answer.subjectOpening, subject: zhangSan })).resolves.toMatchObject({ jti: answer.verificationId });
    await expect(verifyReceipt(answer.receipt, { jwks, opening: answer.subjectOpening, subject: { ...zhangSan, id: "11010519491231002X" } })).rejects.toMatchObject({ code: "subject-mismatch" });
    // Another window's name as audience is refused, with the step named.
    await expect(verifyReceipt(answer.receipt, { jwks, audience: "other-window" })).rejects.toMatchObject({ code: "wrong-audience" });
    // A receipt checked against a JWKS that does not hold its key fails as a signature error.
    const { publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    await expect(verifyReceipt(answer.receipt, { jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: "other" }] } })).rejects.toMatchObject({ code: "bad-signature" });
  });

  it("withUid signs as another clerk; a key the gateway does not know is a GatewayError with the problem's code", async () => {
    const other = huren.withUid("clerk-other");
    const answer = await other.verifications.create({ ...request, case: "SDK-2026-0002" });
    const payload = await verifyReceipt(answer.receipt, { jwks: (await huren.receipts.jwks()) as JSONWebKeySet });
    expect(payload.uid).toBe("clerk-other");

    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const stranger = createClient({ gateway: url, gatewayId: "huren.test", member: w.window.id, key: { privateKey, kid: "not-registered", alg: "EdDSA" }, uid: "x" });
    const err = await stranger.verifications.create(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(401);
    expect((err as GatewayError).code).toMatch(/^[a-z-]+$/);
    expect((err as GatewayError).problem?.status).toBe(401);
  });

  it("the typed raw client reaches other operations, signed, with the query bound into htu", async () => {
    const { data, response } = await huren.api.GET("/v1/catalog/matters");
    expect(response.status).toBe(200);
    expect(data!.matters.map((m) => m.code)).toContain(HOUSING);
  });

  it("checks a tlog-proof bundle built from the gateway's own checkpoint and inclusion proof, with a witness quorum", async () => {
    const answer = await huren.verifications.create({ ...request, case: "SDK-2026-0003" });
    const logKey = await (await fetch(`${url}/v1/ledger/key`)).text();
    let checkpoint = "";
    for (let i = 0; i < 100; i++) {
      await h.deps.ledger.checkpoints.tick(); // the scheduler's job (GET never signs); not started in tests
      checkpoint = await (await fetch(`${url}/v1/ledger/checkpoint`)).text();
      if (Number(checkpoint.split("\n")[1]) > answer.ledger.index) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const size = Number(checkpoint.split("\n")[1]);
    const proofRes = await h.call(w.window, "GET", `/v1/ledger/proofs/inclusion?index=${answer.ledger.index}&size=${size}`);
    expect(proofRes.status).toBe(200);
    const { hashes } = (await proofRes.json()) as { hashes: string[] };

    // A witness of our own: an Ed25519 cosigner (C2SP tlog-cosignature, type 0x04).
    const witness = generateKeyPairSync("ed25519");
    const raw = witness.publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const name = "audit-bureau.example/w1";
    const keyHash = createHash("sha256").update(`${name}\n`).update(Buffer.from([0x04])).update(raw).digest().subarray(0, 4);
    const vkey = `${name}+${keyHash.toString("hex")}+${Buffer.concat([Buffer.from([0x04]), raw]).toString("base64")}`;
    const body = checkpoint.slice(0, checkpoint.indexOf("\n\n") + 1);
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(1_795_000_000n);
    const sig = edSign(null, Buffer.from(`cosignature/v1\ntime 1795000000\n${body}`), witness.privateKey);
    const cosigned = `${checkpoint}\u2014 ${name} ${Buffer.concat([keyHash, time, sig]).toString("base64")}\n`;
    const bundle = ["c2sp.org/tlog-proof@v1", `index ${answer.ledger.index}`, ...hashes, "", cosigned].join("\n").replace(/\n$/, "\n");

    const policy = { log: logKey.trim(), witnesses: [vkey], quorum: 1, leafHash: answer.ledger.leafHash, index: answer.ledger.index };
    await expect(verifyProofBundle(bundle, policy)).resolves.toMatchObject({ index: answer.ledger.index, size, cosigners: [name] });
    // Each failure names its step.
    await expect(verifyProofBundle(bundle, { ...policy, quorum: 2 })).rejects.toMatchObject({ code: "quorum-not-met" });
    await expect(verifyProofBundle(bundle.replace(cosigned, `${checkpoint}`), policy)).rejects.toMatchObject({ code: "quorum-not-met" });
    const otherLeaf = createHash("sha256").update("not the entry").digest("base64");
    await expect(verifyProofBundle(bundle, { ...policy, leafHash: otherLeaf })).rejects.toMatchObject({ code: "inclusion-failed" });
    await expect(verifyProofBundle(bundle, { ...policy, log: vkey.replace(/\+04/, "+01") })).rejects.toBeInstanceOf(VerifyError);
    const tamperedRoot = cosigned.replace(/\n[A-Za-z0-9+/=]{44}\n/, `\n${otherLeaf}\n`);
    await expect(verifyProofBundle(bundle.replace(cosigned, tamperedRoot), policy)).rejects.toMatchObject({ code: "log-signature" });
  });
});

describe("receipt subject commitment (PROTOCOL §3 v1.1), offline", () => {
  it("confirms the person with the opening, and refuses another id or another opening", async () => {
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "g1" }] };
    const opening = crypto.getRandomValues(new Uint8Array(32));
    const subject = { type: "resident-id" as const, id: zhangSan.id };
    const commitment = Buffer.from(await subjectCommitment(subject, opening)).toString("base64url");
    // Independent of the SDK: HMAC-SHA256(key = opening, "type:id").
    const { createHmac } = await import("node:crypto");
    expect(commitment).toBe(createHmac("sha256", opening).update(`resident-id:${zhangSan.id}`).digest("base64url"));
    const payload = { iss: "huren.test", aud: "w", iat: 1, jti: "vf_1", matter: "m", case: "c", uid: "u", subject: { type: "resident-id", masked: maskId(zhangSan.id), commitment }, results: [] };
    const receipt = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: "EdDSA", kid: "g1", typ: "huren-receipt+jwt" }).sign(privateKey);
    const openingText = Buffer.from(opening).toString("base64url");
    await expect(verifyReceipt(receipt, { jwks, opening: openingText, subject })).resolves.toMatchObject({ jti: "vf_1" });
    await expect(verifyReceipt(receipt, { jwks, opening: openingText, subject: { ...subject, id: "220102199001011247" } })).rejects.toMatchObject({ code: "subject-mismatch" });
    const otherOpening = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    await expect(verifyReceipt(receipt, { jwks, opening: otherOpening, subject })).rejects.toMatchObject({ code: "subject-mismatch" });
    expect(maskId(zhangSan.id)).toBe(`${zhangSan.id.slice(0, 4)}**********${zhangSan.id.slice(-4)}`);
  });
});

describe("examples/window-system", () => {
  it("checks an application: every exempt material answered, receipt checked, what the clerk sees", async () => {
    const { checkApplication } = await import("../../../examples/window-system/window.ts");
    const filed = await checkApplication(huren, { case: "EX-2026-0001", matter: HOUSING, applicant: zhangSan }, "huren.test", w.window.id);
    expect(filed.materials.length).toBeGreaterThan(0);
    expect(filed.materials.every((m) => m.bringCopy === (m.status !== "verified"))).toBe(true);
    expect(filed.receipt.split(".")).toHaveLength(3);
  });
});

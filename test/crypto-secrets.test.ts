/**
 * The subject reference is how ledgers and consents name a person: it must never change for a
 * given secret, whatever computes it. These values were produced by the original all-WebCrypto
 * implementation (HKDF deriveKey → HMAC sign) before the hot path moved to native HMAC.
 */
import { createHmac, hkdfSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecrets } from "../src/crypto/secrets.ts";
import { b64url } from "../src/crypto/encoding.ts";

const SECRET_A = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"; // bytes 0..31
const SECRET_B = "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6ur"; // 48 × 0xab

const PINNED: [string, { type: string; id: string }, string][] = [
  [SECRET_A, { type: "resident-id", id: "11010519491231002X" }, "sr1_idfk1Y_o5rhbxy7JfToZ56_ZW9CREr0pxxdWWq-rZSU"],
  [SECRET_A, { type: "uscc", id: "91350100M000100Y43" }, "sr1_1FfkBaEjlKIyDm3I8-RPDr5vUgCz3PfiyzfjwCIjIKs"],
  [SECRET_A, { type: "resident-id", id: "" }, "sr1__ZALjGGyka9xdggmKSC-kQ6_243ePJx3wU44T5xTCqM"],
  [SECRET_B, { type: "resident-id", id: "11010519491231002X" }, "sr1_CzTT6w7jS35zj9TwIs3S8fPq0keoXOJVUjZXhcblTy8"],
  [SECRET_B, { type: "x", id: "张三" }, "sr1_tEVJzh52byy6yI3be17qs7T-NXFIbEgmJQ0gwVpMgx0"],
];

describe("subjectRef", () => {
  it.each(PINNED)("is unchanged for %s / %j", async (secret, subject, expected) => {
    const secrets = await createSecrets(secret);
    expect(await secrets.subjectRef(subject)).toBe(expected);
    // Twice: the derived key is cached, the answer must not drift.
    expect(await secrets.subjectRef(subject)).toBe(expected);
  });

  it("is HMAC-SHA256 under HKDF-SHA256(secret, no salt, 'huren subject-ref v1')", async () => {
    const raw = Buffer.from(SECRET_A, "base64url");
    const key = Buffer.from(hkdfSync("sha256", raw, new Uint8Array(0), "huren subject-ref v1", 32));
    const mac = createHmac("sha256", key).update("resident-id:11010519491231002X").digest();
    expect(await (await createSecrets(SECRET_A)).subjectRef({ type: "resident-id", id: "11010519491231002X" })).toBe(`sr1_${b64url(mac)}`);
  });

  it("still seals and unseals", async () => {
    const secrets = await createSecrets(SECRET_A);
    const sealed = await secrets.seal("private key");
    expect(await secrets.unseal(sealed)).toBe("private key");
    await expect((await createSecrets(SECRET_B)).unseal(sealed)).rejects.toThrow();
  });
});

import { describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, compactVerify, importJWK } from "jose";
import { sql } from "drizzle-orm";
import { parseConfig } from "../src/config.ts";
import { openPglite } from "../src/db/pglite.ts";
import { createSecrets, generateSecret } from "../src/crypto/secrets.ts";
import { loadGatewayKeys } from "../src/keys/gateway-keys.ts";

describe("parseConfig", () => {
  const table: [Record<string, string>, Partial<ReturnType<typeof parseConfig>>][] = [
    [{}, { port: 8787, host: "127.0.0.1", gatewayId: "huren.localhost", databaseUrl: undefined, dataDir: ".huren", demo: true, log: "info" }],
    [{ PORT: "9000", HUREN_GATEWAY_ID: "huren.changchun.gov.cn" }, { port: 9000, gatewayId: "huren.changchun.gov.cn" }],
    [{ HUREN_BOOTSTRAP: "/etc/huren/bootstrap.json" }, { bootstrapPath: "/etc/huren/bootstrap.json", demo: false }],
    [{ HUREN_DEMO: "off" }, { demo: false }],
    [{ DATABASE_URL: "postgres://u@db:5432/huren", PORT: "" }, { databaseUrl: "postgres://u@db:5432/huren", port: 8787, workers: 1 }],
    [{ DATABASE_URL: "postgres://u@db:5432/huren", HUREN_WORKERS: "4" }, { workers: 4 }],
    [{}, { configCacheTtlMs: 30_000 }],
    [{ HUREN_CONFIG_CACHE_TTL_MS: "0" }, { configCacheTtlMs: 0 }],
    [{ DATABASE_URL: "postgres://u@db:5432/huren", HUREN_WORKERS: "auto" }, { workers: "auto" }],
    [{}, { databasePrepare: true }],
    [{ DATABASE_PREPARE: "off" }, { databasePrepare: false }],
  ];
  for (const [env, expected] of table) {
    it(`${JSON.stringify(env)}`, () => expect(parseConfig(env)).toMatchObject(expected));
  }
  it("lists every bad setting", () => {
    expect(() => parseConfig({ PORT: "70000", HUREN_GATEWAY_ID: "Not A Host", HUREN_LOG: "loud" })).toThrow(/PORT[\s\S]*HUREN_GATEWAY_ID[\s\S]*HUREN_LOG/);
    expect(() => parseConfig({ DATABASE_PREPARE: "no" })).toThrow(/DATABASE_PREPARE/);
  });
  it("refuses several processes on the embedded database, and a worker count of 0", () => {
    expect(() => parseConfig({ HUREN_WORKERS: "2" })).toThrow(/HUREN_WORKERS: more than one process needs DATABASE_URL/);
    expect(() => parseConfig({ DATABASE_URL: "postgres://u@db:5432/huren", HUREN_WORKERS: "0" })).toThrow(/HUREN_WORKERS/);
  });
});

// Each test opens its own embedded database (migrations included): slow on a loaded 2-core machine.
describe("gateway keys", { timeout: 120_000 }, () => {
  it("are generated once, stored sealed, and reused by a second process on the same database", async () => {
    const database = await openPglite({});
    const secrets = await createSecrets(generateSecret());
    const a = await loadGatewayKeys({ db: database.db, secrets });
    const b = await loadGatewayKeys({ db: database.db, secrets });
    expect(b.signer.kid).toBe(a.signer.kid);
    const jws = await a.signer.signJson("huren-receipt+jwt", { hello: 1 });
    const [jwk] = (await b.jwks()).keys;
    expect(jwk!.d).toBeUndefined();
    await expect(compactVerify(jws, await importJWK(jwk!, "EdDSA"))).resolves.toBeTruthy();
    const rows = await database.db.execute(sql`select sealed_private_key from gateway_keys`);
    expect(JSON.stringify(rows)).not.toContain('"d"');
    await database.close();
  });

  it("a configured key (HUREN_SIGNING_KEY) is used and published instead", async () => {
    const database = await openPglite({});
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: "operator-key-2026" };
    const keys = await loadGatewayKeys({ db: database.db, secrets: await createSecrets(generateSecret()), configuredKey: JSON.stringify(jwk) });
    expect(keys.signer).toMatchObject({ kid: "operator-key-2026", alg: "ES256" });
    const published = (await keys.jwks()).keys;
    expect(published.map((k) => k.kid)).toEqual(["operator-key-2026"]);
    expect(published[0]!.d).toBeUndefined();
    await expect(loadGatewayKeys({ db: database.db, secrets: await createSecrets(generateSecret()), configuredKey: "{not json" })).rejects.toThrow(/HUREN_SIGNING_KEY/);
    await database.close();
  });
});

describe("console OpenID Connect settings", () => {
  it("are all set together or not at all", () => {
    expect(parseConfig({}).oidc).toBeUndefined();
    expect(() => parseConfig({ HUREN_OIDC_ISSUER: "https://ids.changchun.gov.cn" })).toThrow(/HUREN_OIDC_CLIENT_ID and HUREN_OIDC_REDIRECT_URL together/);
    expect(
      parseConfig({ HUREN_OIDC_ISSUER: "https://ids.changchun.gov.cn", HUREN_OIDC_CLIENT_ID: "huren-console", HUREN_OIDC_CLIENT_SECRET: "s", HUREN_OIDC_REDIRECT_URL: "https://huren.changchun.gov.cn/console/oidc/callback" }).oidc,
    ).toEqual({ issuer: "https://ids.changchun.gov.cn", clientId: "huren-console", clientSecret: "s", redirectUrl: "https://huren.changchun.gov.cn/console/oidc/callback", scope: "openid" });
    expect(() => parseConfig({ HUREN_OIDC_ISSUER: "https://i", HUREN_OIDC_CLIENT_ID: "c", HUREN_OIDC_REDIRECT_URL: "https://g/cb", HUREN_OIDC_SCOPE: "profile" })).toThrow(/HUREN_OIDC_SCOPE/);
  });
});

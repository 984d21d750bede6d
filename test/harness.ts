/**
 * createHarness(): a fresh, migrated database per test file — PGlite in memory, or a new
 * database on the PostgreSQL named by DATABASE_URL — and the app called in-process.
 */
import postgres from "postgres";
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import { createApp, type HurenApp } from "../src/app.ts";
import { assembleDeps } from "../src/entry/assemble.ts";
import { openPglite } from "../src/db/pglite.ts";
import { openPostgres } from "../src/db/postgres.ts";
import type { Database } from "../src/db/types.ts";
import { generateSecret } from "../src/crypto/secrets.ts";
import { sha256b64url } from "../src/crypto/encoding.ts";
import { createUndiciHttpClient } from "../src/http/undici-client.ts";
import { putMember, type Grants, type MemberKind } from "../src/members/members.ts";
import { BUILTIN_EVIDENCE_TYPES } from "../src/catalog/builtin-types.ts";
import { systemLookup } from "../src/reach/system-lookup.ts";
import { ownDatabaseOf } from "../src/reach/own-database.ts";
import type { LookupAll, OwnDatabase } from "../src/reach/guard.ts";
import type { AppDeps, Logger } from "../src/deps.ts";
import type { Metrics } from "../src/metrics/metrics.ts";
import { rateLimitSettings, type RateLimitSettings } from "../src/ratelimit/settings.ts";
import type { WitnessSettings } from "../src/ledger/witness-config.ts";

export const GATEWAY_ID = "huren.test";

/**
 * What a test department is granted unless it says otherwise (PROTOCOL §4): every built-in
 * evidence type, and loopback, where test departments run.
 */
export const TEST_GRANTS: Grants = { evidenceTypes: BUILTIN_EVIDENCE_TYPES.map((d) => d.type), hosts: ["127.0.0.1", "::1", "localhost"] };

export interface Actor {
  id: string;
  kind: MemberKind;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  uid: string | undefined;
}

export async function newKey(): Promise<{ kid: string; privateKey: CryptoKey; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const jwk = await exportJWK(publicKey);
  const kid = (await calculateJwkThumbprint(jwk)).slice(0, 16);
  return { kid, privateKey, publicJwk: { ...jwk, kid } };
}

let jtiCounter = 0;
export const newJti = () => `jti-${Date.now()}-${++jtiCounter}-${Math.random().toString(36).slice(2, 10)}`;

export interface SignOptions {
  /** Claims to override or (with undefined) remove. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  key?: CryptoKey;
}

/** A §2 request token for `actor`. */
export async function signRequest(actor: Actor, method: string, pathAndQuery: string, body: string, options: SignOptions = {}): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: actor.id,
    aud: GATEWAY_ID,
    iat,
    exp: iat + 120,
    jti: newJti(),
    htm: method,
    htu: pathAndQuery,
    bh: await sha256b64url(body),
    ...(actor.uid ? { uid: actor.uid } : {}),
    ...options.claims,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  const header = { alg: "EdDSA", kid: actor.kid, typ: "huren-req+jwt", ...options.header };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header as { alg: string }).sign(options.key ?? actor.privateKey);
}

export interface Harness {
  app: HurenApp;
  deps: AppDeps;
  database: Database;
  /** The fresh PostgreSQL database's URL (undefined on PGlite), e.g. for a second gateway process. */
  databaseUrl: string | undefined;
  /** The secret this harness's gateway uses (a second process on the same database needs it). */
  secret: string;
  admin: Actor;
  logs: string[];
  /** Departments get {@link TEST_GRANTS} unless `grants` is given. */
  addMember(id: string, kind: MemberKind, region?: string, options?: { grants?: Grants }): Promise<Actor>;
  /** Signed request by `actor`; `body` objects are JSON-encoded. */
  call(actor: Actor, method: string, path: string, body?: unknown, options?: SignOptions & { headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

async function freshDatabase(): Promise<{ database: Database; url: string | undefined; drop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) return { database: await openPglite({}), url: undefined, drop: async () => {} };
  const name = `huren_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  const database = await openPostgres({ url: dbUrl.toString(), max: 5 });
  return {
    database,
    url: dbUrl.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

export interface HarnessOptions {
  now?: () => Date;
  lookupDeadlineMs?: number;
  maxBodyBytes?: number;
  metrics?: Metrics;
  logger?: Logger;
  /** The reach guard's resolver (default the system's); a test answering differently over time plays DNS rebinding. */
  lookup?: LookupAll;
  /** The gateway's own database as the guard sees it (default: this harness's PostgreSQL database, none on PGlite). */
  ownDatabase?: OwnDatabase;
  /** `{ file }` fixtures are read from here (default: none can be read). */
  readFile?: (path: string) => Promise<string>;
  /** Request rate limits; off unless given (test/ratelimit/ turns them on), so other tests never meet a 429. */
  rateLimits?: RateLimitSettings;
  /** Ledger witnesses (none by default). */
  witnesses?: WitnessSettings;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { database, url, drop } = await freshDatabase();
  const logs: string[] = [];
  const secret = generateSecret();
  const deps = await assembleDeps({
    gatewayId: GATEWAY_ID,
    database,
    secret,
    http: createUndiciHttpClient(),
    logger: options.logger ?? { info: (e) => logs.push(JSON.stringify(e)), error: (e) => logs.push(JSON.stringify(e)) },
    ...(options.now ? { now: options.now } : {}),
    ...(options.lookupDeadlineMs ? { lookupDeadlineMs: options.lookupDeadlineMs } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.readFile ? { readFile: options.readFile } : {}),
    reach: { lookup: options.lookup ?? systemLookup, ownDatabase: options.ownDatabase ?? ownDatabaseOf(url) },
    rateLimits: options.rateLimits ?? rateLimitSettings({ enabled: false }),
    ...(options.witnesses ? { witnesses: options.witnesses } : {}),
  });
  const app = createApp(deps);

  const addMember = async (id: string, kind: MemberKind, region?: string, opts: { grants?: Grants } = {}): Promise<Actor> => {
    const key = await newKey();
    const grants = kind === "department" ? { grants: opts.grants ?? TEST_GRANTS } : {};
    await putMember(deps.db, id, { kind, name: id, ...(region ? { region } : {}), jwks: { keys: [key.publicJwk as never] }, enabled: true, ...grants });
    return { id, kind, ...key, uid: kind === "window" || kind === "auditor" ? `${id}-staff-1` : undefined };
  };
  const admin = await addMember("test-admin", "admin");

  return {
    app,
    deps,
    database,
    databaseUrl: url,
    secret,
    admin,
    logs,
    addMember,
    async call(actor, method, path, body, opts = {}) {
      const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
      const token = await signRequest(actor, method, path, text, opts);
      return app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...opts.headers },
        ...(body === undefined ? {} : { body: text }),
      });
    },
    async close() {
      await deps.close();
      await drop();
    },
  };
}

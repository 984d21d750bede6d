/**
 * The witness's state: its latest cosigned checkpoint per log origin, and its own key, sealed.
 * PGlite under `--data` by default, PostgreSQL by URL; a tiny schema of its own (the witness is
 * another agency's server and shares no tables with a gateway).
 *
 * Updates are compare-and-swap on (size, root): two requests checked against the same state
 * cannot both advance it, so a slow request can never roll the state back (C2SP tlog-witness).
 */
import type { webcrypto } from "node:crypto";

export interface WitnessState {
  size: number;
  /** Standard base64 root hash. */
  rootHash: string;
}

export interface WitnessStore {
  latest(origin: string): Promise<WitnessState | undefined>;
  /**
   * Moves `origin` from `from` (undefined: never cosigned) to `to`, only if it is still at `from`.
   * False when another request changed it first.
   */
  advance(origin: string, from: WitnessState | undefined, to: WitnessState & { note: string }): Promise<boolean>;
  /** The sealed private key stored for witness `name`, if any. */
  sealedKey(name: string): Promise<string | undefined>;
  /** Stores a sealed key unless one exists for `name`; returns the one that is stored. */
  putSealedKey(name: string, sealed: string): Promise<string>;
  close(): Promise<void>;
}

/** What both drivers offer: a parameterised query returning rows and the affected-row count. */
type Query = (text: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[]; count: number }>;

const SCHEMA = [
  `create table if not exists witness_checkpoints (
     origin text primary key,
     size bigint not null,
     root_hash text not null,
     note text not null,
     updated_at timestamptz not null default now())`,
  `create table if not exists witness_keys (
     name text primary key,
     sealed_key text not null,
     created_at timestamptz not null default now())`,
];

function storeOver(query: Query, close: () => Promise<void>): WitnessStore {
  return {
    async latest(origin) {
      const { rows } = await query("select size, root_hash from witness_checkpoints where origin = $1", [origin]);
      const row = rows[0];
      return row ? { size: Number(row.size), rootHash: String(row.root_hash) } : undefined;
    },
    async advance(origin, from, to) {
      const { count } = from
        ? await query(
            `update witness_checkpoints set size = $4, root_hash = $5, note = $6, updated_at = now()
             where origin = $1 and size = $2 and root_hash = $3`,
            [origin, from.size, from.rootHash, to.size, to.rootHash, to.note],
          )
        : await query(`insert into witness_checkpoints (origin, size, root_hash, note) values ($1, $2, $3, $4) on conflict (origin) do nothing`, [
            origin,
            to.size,
            to.rootHash,
            to.note,
          ]);
      return count === 1;
    },
    async sealedKey(name) {
      const { rows } = await query("select sealed_key from witness_keys where name = $1", [name]);
      return rows[0] ? String(rows[0].sealed_key) : undefined;
    },
    async putSealedKey(name, sealed) {
      await query("insert into witness_keys (name, sealed_key) values ($1, $2) on conflict (name) do nothing", [name, sealed]);
      return (await this.sealedKey(name))!;
    },
    close,
  };
}

/**
 * @example
 * const store = await openWitnessStore({ dataDir: ".huren-witness" }); // or { url: "postgres://…" }
 */
export async function openWitnessStore(where: { dataDir?: string; url?: string }): Promise<WitnessStore> {
  let query: Query;
  let close: () => Promise<void>;
  if (where.url) {
    const { default: postgres } = await import("postgres");
    const sql = postgres(where.url, { max: 5, onnotice: () => {} });
    query = async (text, params) => {
      const result = await sql.unsafe(text, params as never[]);
      return { rows: [...result] as Record<string, unknown>[], count: result.count };
    };
    close = () => sql.end({ timeout: 5 });
  } else {
    const { PGlite } = await import("@electric-sql/pglite");
    const pg = where.dataDir ? new PGlite(where.dataDir) : new PGlite();
    await pg.waitReady;
    query = async (text, params) => {
      const result = await pg.query<Record<string, unknown>>(text, params);
      return { rows: result.rows, count: result.affectedRows ?? 0 };
    };
    close = () => pg.close();
  }
  for (const statement of SCHEMA) await query(statement, []);
  return storeOver(query, close);
}

/**
 * The witness key's seal: AES-256-GCM under a key derived (HKDF-SHA-256) from a secret that is
 * kept apart from the database — a file in the data dir, or HUREN_WITNESS_SECRET with --database.
 */
export async function sealer(secret: string): Promise<{ seal(jwk: webcrypto.JsonWebKey): Promise<string>; unseal(sealed: string): Promise<webcrypto.JsonWebKey> }> {
  const raw = new Uint8Array(Buffer.from(secret.trim(), "base64url"));
  if (raw.length < 32) throw new Error("the witness secret must be base64url of at least 32 random bytes");
  const master = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  const info = new TextEncoder().encode("huren witness key seal v1");
  const key = await crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info }, master, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  return {
    async seal(jwk) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(JSON.stringify(jwk))));
      return `v1.${Buffer.from(iv).toString("base64url")}.${Buffer.from(ct).toString("base64url")}`;
    },
    async unseal(sealed) {
      const [version, iv, ct] = sealed.split(".");
      if (version !== "v1" || !iv || !ct) throw new Error("the stored witness key is not a sealed value");
      const pt = await crypto.subtle
        .decrypt({ name: "AES-GCM", iv: Buffer.from(iv, "base64url") }, key, Buffer.from(ct, "base64url"))
        .catch(() => {
          throw new Error("cannot open the stored witness key: the secret is not the one it was sealed with");
        });
      return JSON.parse(new TextDecoder().decode(pt)) as webcrypto.JsonWebKey;
    },
  };
}

/**
 * The gateway's own JWS key: signs receipts and outbound department requests. Its history is
 * kept in `gateway_keys` (purpose `jws`): every key that ever signed, with its validity period
 * (created_at … retired_at), exactly one active. /.well-known/jwks.json publishes all of them
 * with `validFrom`/`validUntil`, so receipts signed before a rotation stay verifiable and an
 * auditor can tell which key signed when; each change of key is a `key-rotation` ledger entry.
 *
 * The private key comes from a SigningKeySource (key-source.ts): the sealed store (default), an
 * environment variable or a file. With the sealed store every process sharing the database signs
 * with the same active key and picks up a rotation within KEY_REFRESH_MS.
 */
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { JWK } from "jose";
import { gatewayKeys } from "../db/schema.ts";
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { envKeySource, loadJwk, publicPart, type LoadedKey, type SigningKeySource } from "./key-source.ts";
import { newSealedKey, recordKeyChange } from "./rotation.ts";

export interface JwsSigner {
  readonly kid: string;
  readonly alg: "EdDSA" | "ES256";
  /** Signs a JSON payload as a compact JWS with the given `typ`. */
  signJson(typ: string, payload: Record<string, unknown>): Promise<string>;
}

export interface GatewayKeys {
  /** Always the active key (a rotation swaps what is behind it). */
  signer: JwsSigner;
  /** Every key that ever signed, with validFrom/validUntil (retired ones too: old receipts must stay verifiable). */
  jwks(): Promise<{ keys: JWK[] }>;
  /** Where the private key comes from. */
  source: SigningKeySource;
  /** Re-reads the active key now (after a rotation by this process). */
  refresh(): Promise<void>;
}

export const PURPOSE = "jws";
/** Public halves of operator-supplied keys from before key history (retired_at = epoch): still published. */
const LEGACY_CONFIGURED = "jws-configured";
/** How soon another process's rotation is picked up (sealed store). */
export const KEY_REFRESH_MS = 10_000;

const b64u = (data: string | Uint8Array): string => Buffer.from(data).toString("base64url");

/**
 * Compact JWS straight over the source's signer (node:crypto on Node, WebCrypto on Workers, or a
 * KMS): the same bytes jose's CompactSign produces for this header (`{alg, kid, typ}` in that
 * order) and payload, at a fraction of its CPU (receipts and department requests are signed on
 * every verification). Buffer is there on Workers via nodejs_compat.
 */
function jwsOf(key: LoadedKey): JwsSigner {
  const kid = key.publicJwk.kid!;
  const alg = key.signer.alg;
  const headers = new Map<string, string>();
  const header = (typ: string) => {
    let encoded = headers.get(typ);
    if (encoded === undefined) {
      encoded = b64u(JSON.stringify({ alg, kid, typ }));
      if (headers.size < 16) headers.set(typ, encoded);
    }
    return encoded;
  };
  return {
    kid,
    alg,
    async signJson(typ, payload) {
      const input = `${header(typ)}.${b64u(JSON.stringify(payload))}`;
      return `${input}.${b64u(await key.signer.sign(Buffer.from(input, "latin1")))}`; // input is ASCII
    },
  };
}

/**
 * The sealed store: the active `jws` row, unsealed with HUREN_SECRET; generated on first start.
 * Safe when several processes start at once: a unique index admits one active key, losers re-read.
 */
export function sealedKeySource(db: Db, secrets: Secrets): SigningKeySource {
  const active = () => db.select().from(gatewayKeys).where(and(eq(gatewayKeys.purpose, PURPOSE), isNull(gatewayKeys.retiredAt))).limit(1);
  return {
    description: "sealed store",
    rotatable: true,
    async load() {
      let [row] = await active();
      if (!row || row.sealedPrivateKey === "") {
        // First start (or a switch back from a configured key): a new key, without a ledger
        // entry for the very first one — there is nothing it replaces.
        const sealed = await newSealedKey(secrets);
        await recordKeyChange(db, { ...sealed, previousKid: row?.kid, source: "sealed store", requester: "gateway" });
        [row] = await active();
        if (!row) throw new Error("could not create the gateway signing key");
      }
      const text = await secrets.unseal(row.sealedPrivateKey).catch(() => {
        throw new Error("cannot open the stored gateway signing key: HUREN_SECRET is not the secret it was sealed with");
      });
      return loadJwk(text, "the stored gateway signing key");
    },
  };
}

const iso = (d: Date | null | undefined) => (d && d.getTime() > 0 ? d.toISOString() : undefined);

/**
 * Loads the active key from `source`; a configured key (env, file) that is not the active one
 * in the history becomes it, recorded as a key rotation.
 * @example
 * const keys = await loadGatewayKeys({ db, secrets, source: envKeySource(process.env.HUREN_SIGNING_KEY!, "HUREN_SIGNING_KEY") });
 * const jws = await keys.signer.signJson("huren-receipt+jwt", { iss: "huren.localhost" });
 */
export async function loadGatewayKeys(deps: {
  db: Db;
  secrets: Secrets;
  source?: SigningKeySource;
  /** Shorthand for an environment-variable source: the private JWK text of HUREN_SIGNING_KEY. */
  configuredKey?: string | undefined;
  now?: () => number;
}): Promise<GatewayKeys> {
  const { db, secrets } = deps;
  const source = deps.source ?? (deps.configuredKey ? envKeySource(deps.configuredKey, "HUREN_SIGNING_KEY") : sealedKeySource(db, secrets));
  const now = deps.now ?? Date.now;
  const activeKid = async () =>
    (await db.select({ kid: gatewayKeys.kid }).from(gatewayKeys).where(and(eq(gatewayKeys.purpose, PURPOSE), isNull(gatewayKeys.retiredAt))).limit(1))[0]?.kid;

  const adopt = async (): Promise<JwsSigner> => {
    const loaded = await source.load();
    if (!source.rotatable) {
      const kid = loaded.publicJwk.kid!;
      const current = await activeKid();
      if (current !== kid) {
        const [known] = await db.select().from(gatewayKeys).where(eq(gatewayKeys.kid, kid));
        if (known) throw new Error(`the key ${kid} from ${source.description} was retired on ${known.retiredAt?.toISOString()}; a retired key is not used again — make a new one`);
        await recordKeyChange(db, { publicJwk: loaded.publicJwk, sealedPrivateKey: "", previousKid: current, source: source.description, requester: "gateway" });
      }
    }
    return jwsOf(loaded);
  };

  let current = await adopt();
  let checkedAt = now();
  let refreshing: Promise<void> | undefined;
  const refresh = () =>
    (refreshing ??= (async () => {
      try {
        checkedAt = now();
        if ((await activeKid()) !== current.kid) current = await adopt();
      } finally {
        refreshing = undefined;
      }
    })());

  const signer: JwsSigner = {
    get kid() {
      return current.kid;
    },
    get alg() {
      return current.alg;
    },
    async signJson(typ, payload) {
      // Another process may have rotated the sealed key: look at most every KEY_REFRESH_MS.
      if (source.rotatable && now() - checkedAt > KEY_REFRESH_MS) await refresh();
      return current.signJson(typ, payload);
    },
  };

  return {
    signer,
    source,
    refresh,
    async jwks() {
      const rows = await db.select().from(gatewayKeys).where(inArray(gatewayKeys.purpose, [PURPOSE, LEGACY_CONFIGURED]));
      rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      return {
        keys: rows.map((r) => {
          const validFrom = r.purpose === PURPOSE ? iso(r.createdAt) : undefined;
          const validUntil = iso(r.retiredAt);
          return { ...publicPart(r.publicJwk as JWK), ...(validFrom ? { validFrom } : {}), ...(validUntil ? { validUntil } : {}) };
        }),
      };
    },
  };
}

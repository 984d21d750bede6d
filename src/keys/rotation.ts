/**
 * Changing the receipt-signing key (key history, §13.5): the old key is retired (its validity
 * ends), the new one becomes the one active key, and a `key-rotation` entry is appended to the
 * ledger (PROTOCOL §5.4) — all in one transaction, so the history in /.well-known/jwks.json and
 * the ledger never disagree. Old public keys are never deleted: receipts they signed stay
 * verifiable, and an auditor can show which key signed which receipts.
 */
import { and, eq, isNull } from "drizzle-orm";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { loadJwk } from "./key-source.ts";
import { gatewayKeys } from "../db/schema.ts";
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { HurenError } from "../errors.ts";
import type { AppendedEntry } from "../ledger/append.ts";
import { appendRecordInTx } from "../ledger/record.ts";

export interface KeyChange {
  publicJwk: JWK;
  /** Empty for keys whose private half lives elsewhere (env, file, KMS). */
  sealedPrivateKey: string;
  /** The active key being replaced; undefined for the very first key (not ledgered: it replaces nothing). */
  previousKid: string | undefined;
  source: string;
  requester: string;
  uid?: string | undefined;
  /** The gateway's id, for the ledger entry (unknown when a key is adopted at start). */
  gateway?: string | undefined;
  at?: Date;
}

export interface KeyChangeResult {
  kid: string;
  previousKid: string | undefined;
  ledger: AppendedEntry | undefined;
}

class LostRace extends Error {}

/**
 * @example
 * await recordKeyChange(db, { publicJwk, sealedPrivateKey: "", previousKid: "old", source: "file /etc/huren/k.jwk", requester: "gateway" });
 */
export async function recordKeyChange(db: Db, change: KeyChange): Promise<KeyChangeResult | undefined> {
  const kid = change.publicJwk.kid!;
  const at = change.at ?? new Date();
  try {
    return await db.transaction(async (tx) => {
      if (change.previousKid !== undefined) {
        const retired = await tx
          .update(gatewayKeys)
          .set({ retiredAt: at })
          .where(and(eq(gatewayKeys.kid, change.previousKid), isNull(gatewayKeys.retiredAt)))
          .returning({ kid: gatewayKeys.kid });
        if (retired.length === 0) throw new LostRace(); // someone else changed the key meanwhile
      }
      // A public half stored before key history (purpose jws-configured, retired at the epoch) is
      // the same key: it becomes this history row rather than a second one.
      const adopted = await tx
        .update(gatewayKeys)
        .set({ purpose: "jws", retiredAt: null, createdAt: at })
        .where(and(eq(gatewayKeys.kid, kid), eq(gatewayKeys.purpose, "jws-configured")))
        .returning({ kid: gatewayKeys.kid });
      if (adopted.length === 0) {
        const inserted = await tx
          .insert(gatewayKeys)
          .values({ kid, purpose: "jws", alg: String(change.publicJwk.alg), publicJwk: change.publicJwk as Record<string, unknown>, sealedPrivateKey: change.sealedPrivateKey, createdAt: at })
          .onConflictDoNothing()
          .returning({ kid: gatewayKeys.kid });
        if (inserted.length === 0) throw new LostRace();
      }
      const ledger =
        change.previousKid === undefined
          ? undefined
          : await appendRecordInTx(tx, {
              kind: "key-rotation",
              gateway: change.gateway,
              requester: change.requester,
              uid: change.uid,
              id: `kr_${kid}_${at.getTime()}`,
              recordedAt: at,
              fields: { purpose: "receipt-signing", retiredKid: change.previousKid, newKid: kid, newKey: change.publicJwk, source: change.source, validFrom: at.toISOString() },
            });
      return { kid, previousKid: change.previousKid, ledger };
    });
  } catch (err) {
    if (err instanceof LostRace) return undefined;
    throw err;
  }
}

/** The active key's kid (any source). */
export async function activeKeyId(db: Db): Promise<string | undefined> {
  const [row] = await db.select({ kid: gatewayKeys.kid }).from(gatewayKeys).where(and(eq(gatewayKeys.purpose, "jws"), isNull(gatewayKeys.retiredAt))).limit(1);
  return row?.kid;
}

/**
 * Rotates the sealed-store key: a new Ed25519 key becomes active, the old one is retired, and the
 * change is ledgered. 409 when the active key is not a sealed one (it comes from HUREN_SIGNING_KEY
 * or a file: rotate by replacing that), or when another rotation got there first.
 * @example
 * const { kid, previousKid, ledger } = await rotateSealedKey(db, secrets, { requester: "admin-1", uid: "ops-7" });
 */
export async function rotateSealedKey(db: Db, secrets: Secrets, by: { requester: string; uid?: string | undefined; gateway?: string | undefined; at?: Date }): Promise<KeyChangeResult> {
  const [active] = await db.select().from(gatewayKeys).where(and(eq(gatewayKeys.purpose, "jws"), isNull(gatewayKeys.retiredAt))).limit(1);
  if (active && active.sealedPrivateKey === "") {
    throw new HurenError("conflict", 409, "Key is configured", `the active receipt key ${active.kid} comes from the operator's configuration (HUREN_SIGNING_KEY or HUREN_SIGNING_KEY_FILE): rotate it by configuring a new key and restarting`);
  }
  const fresh = await newSealedKey(secrets);
  const done = await recordKeyChange(db, { ...fresh, previousKid: active?.kid, source: "sealed store", requester: by.requester, uid: by.uid, gateway: by.gateway, ...(by.at ? { at: by.at } : {}) });
  if (!done) throw new HurenError("conflict", 409, "Rotated meanwhile", "another rotation changed the key at the same time; the newest key is active");
  return done;
}

/** A fresh Ed25519 key: its public JWK (kid = thumbprint) and the private JWK sealed. */
export async function newSealedKey(secrets: Secrets): Promise<{ publicJwk: JWK; sealedPrivateKey: string }> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  const { publicJwk } = await loadJwk(JSON.stringify(jwk), "a new key");
  return { publicJwk, sealedPrivateKey: await secrets.seal(JSON.stringify({ ...jwk, kid: publicJwk.kid })) };
}

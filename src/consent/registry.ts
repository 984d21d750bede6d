/**
 * The consent registry (§6): registration, presentation with a verification, uses and
 * revocation. What is stored names no one: the subject is the keyed HMAC reference (as in the
 * ledger), the token only sealed with a key derived from HUREN_SECRET (never in the database)
 * plus its hash, which proves which token was presented.
 *
 * Uses are taken atomically in the database (`uses < max_uses` in the UPDATE's own WHERE), so
 * two concurrent verifications cannot both take the last one.
 */
import { and, asc, eq, gt, isNull, lt, lte, or, sql } from "drizzle-orm";
import { consents, consentUses } from "../db/schema.ts";
import type { Db, Queryable, Tx } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { sha256b64url } from "../crypto/encoding.ts";
import { HurenError } from "../errors.ts";
import { getMember, type Member } from "../members/members.ts";
import type { Subject } from "../catalog/subject.ts";
import type { ConsentFacts, ReasonCode } from "../policies/evaluate.ts";
import { isConsentId, verifyConsentToken, type ConsentClaims } from "./inline.ts";

export type ConsentRecord = typeof consents.$inferSelect;
export type ConsentState = ConsentFacts["state"];

export interface RegistryDeps {
  db: Db;
  secrets: Secrets;
}

/**
 * Revoked beats expired beats exhausted: the most deliberate fact wins. A consent before its
 * `nbf` is `active` (§6 has no other state); the policy says `consent-not-yet-valid`.
 * @example consentState({ ...record, maxUses: 1, uses: 1 }, now) // "exhausted"
 */
export function consentState(c: ConsentRecord, now: Date): ConsentState {
  if (c.revokedAt) return "revoked";
  if (now >= c.expiresAt) return "expired";
  if (c.maxUses !== null && c.uses >= c.maxUses) return "exhausted";
  return "active";
}

export const consentFacts = (c: ConsentRecord, now: Date): ConsentFacts => ({
  id: c.id,
  state: consentState(c, now),
  grantee: c.grantee,
  matters: c.matters,
  evidenceTypes: c.evidenceTypes,
  notBefore: c.notBefore,
});

async function recordFrom(secrets: Secrets, claims: ConsentClaims, token: string, now: Date): Promise<ConsentRecord> {
  return {
    id: claims.jti,
    issuer: claims.iss,
    subjectRef: await secrets.subjectRef(claims.sub),
    grantee: claims.grantee,
    matters: claims.matters,
    evidenceTypes: claims.evidenceTypes,
    notBefore: new Date(claims.nbf * 1000),
    expiresAt: new Date(claims.exp * 1000),
    maxUses: claims.maxUses ?? null,
    uses: 0,
    method: claims.method,
    proof: claims.proof,
    tokenHash: await sha256b64url(token),
    sealedToken: null,
    revokedAt: null,
    revokedBy: null,
    createdAt: now,
  };
}

export async function findConsent(db: Queryable, id: string): Promise<ConsentRecord | undefined> {
  const [row] = await db.select().from(consents).where(eq(consents.id, id));
  return row;
}

/** Stores a verified token; the same token again is a no-op, another token under its id a conflict. */
async function store(deps: RegistryDeps, record: ConsentRecord, token: string): Promise<{ record: ConsentRecord; created: boolean }> {
  const [inserted] = await deps.db
    .insert(consents)
    .values({ ...record, sealedToken: await deps.secrets.seal(token) })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { record: inserted, created: true };
  const existing = await findConsent(deps.db, record.id);
  if (existing?.tokenHash !== record.tokenHash) throw new HurenError("conflict", 409, "Consent id taken", `another token is already registered as consent "${record.id}"`);
  return { record: existing, created: false };
}

/**
 * `POST /v1/consents`: its issuer registers a token.
 * @throws HurenError consent-invalid (422), forbidden (403) for someone else's token, conflict (409)
 * @example const { record, created } = await registerConsent(deps, token, caller.member, now);
 */
export async function registerConsent(deps: RegistryDeps, token: string, registrar: Member, now: Date): Promise<{ record: ConsentRecord; created: boolean }> {
  const reading = await verifyConsentToken(token, { findMember: (id) => getMember(deps.db, id) });
  if (!reading.ok) throw new HurenError("consent-invalid", 422, "Invalid consent token", reading.detail);
  if (reading.claims.iss !== registrar.id) {
    throw new HurenError("forbidden", 403, "Not the issuer", "a consent is registered by its issuer; present another member's token inline with a verification instead");
  }
  return store(deps, await recordFrom(deps.secrets, reading.claims, token, now), token);
}

export type Presented =
  | { record: ConsentRecord; problem?: undefined }
  | { record?: undefined; problem: "consent-unknown" | "consent-invalid" | "consent-subject-mismatch" | "consent-conflict" | "consent-issuer-disabled" };

/** Only a consent whose issuer is still an enabled collector or window counts (read fresh, as its token's check is). */
async function issuerStillTrusted(db: Queryable, issuer: string): Promise<boolean> {
  const member = await getMember(db, issuer);
  return !!member?.enabled && (member.kind === "consent-collector" || member.kind === "window");
}

/**
 * The consent a verification carries: a registered id, or a token (registered on first use
 * unless `register` is false, as in a dry run). It must be the subject's own, and its issuer must
 * still be an enabled consent collector or window: disabling the issuer stops its consents, by id
 * and inline alike (issue #10 §8).
 * @example const { record, problem } = await presentConsent(deps, body.consent, body.subject, { now, register: true });
 */
export async function presentConsent(deps: RegistryDeps, value: string, subject: Subject, o: { now: Date; register: boolean }): Promise<Presented> {
  const subjectRef = await deps.secrets.subjectRef(subject);
  if (isConsentId(value)) {
    const record = await findConsent(deps.db, value);
    if (!record) return { problem: "consent-unknown" };
    if (record.subjectRef !== subjectRef) return { problem: "consent-subject-mismatch" };
    // By id as inline (where the token's check refuses it): a disabled issuer's consents stop working.
    return (await issuerStillTrusted(deps.db, record.issuer)) ? { record } : { problem: "consent-issuer-disabled" };
  }
  const reading = await verifyConsentToken(value, { findMember: (id) => getMember(deps.db, id) });
  if (!reading.ok) return { problem: "consent-invalid" };
  const fresh = await recordFrom(deps.secrets, reading.claims, value, o.now);
  if (fresh.subjectRef !== subjectRef) return { problem: "consent-subject-mismatch" };
  if (o.register) {
    try {
      return { record: (await store(deps, fresh, value)).record };
    } catch (err) {
      if (err instanceof HurenError && err.code === "conflict") return { problem: "consent-conflict" };
      throw err;
    }
  }
  const existing = await findConsent(deps.db, fresh.id);
  if (existing && existing.tokenHash !== fresh.tokenHash) return { problem: "consent-conflict" };
  return { record: existing ?? fresh };
}

/**
 * Takes one use for a verification, atomically, and records it (ledger index to follow).
 * A use is one verification, however many items it covers.
 * @example
 * const taken = await takeConsentUse(db, { id, verificationId, requester: "nanguan-window-01", evidenceTypes, now });
 * if (!taken.ok) taken.reason; // "consent-exhausted", ...
 */
export async function takeConsentUse(
  db: Db,
  u: { id: string; verificationId: string; requester: string; evidenceTypes: string[]; now: Date },
): Promise<{ ok: true } | { ok: false; reason: ReasonCode }> {
  return db.transaction(async (tx) => {
    const [taken] = await tx
      .update(consents)
      .set({ uses: sql`${consents.uses} + 1` })
      .where(and(eq(consents.id, u.id), isNull(consents.revokedAt), lte(consents.notBefore, u.now), gt(consents.expiresAt, u.now), or(isNull(consents.maxUses), lt(consents.uses, consents.maxUses))))
      .returning({ uses: consents.uses });
    if (!taken) {
      const current = await findConsent(tx, u.id);
      if (!current) return { ok: false, reason: "consent-required" };
      const state = consentState(current, u.now);
      const reason: ReasonCode = state === "revoked" ? "consent-revoked" : state === "expired" ? "consent-expired" : state === "exhausted" ? "consent-exhausted" : "consent-not-yet-valid";
      return { ok: false, reason };
    }
    await tx.insert(consentUses).values({ consentId: u.id, verificationId: u.verificationId, requester: u.requester, evidenceTypes: u.evidenceTypes, ledgerIndex: null, usedAt: u.now });
    return { ok: true };
  });
}

/**
 * Inside the ledger transaction: the use gets the index of the entry that records it.
 * @example await db.transaction(async (tx) => { const at = await appendEntry(tx, input); await markConsentUseLedgered(tx, id, vf, at.index); });
 */
export async function markConsentUseLedgered(tx: Tx, consentId: string, verificationId: string, ledgerIndex: number): Promise<void> {
  await tx.update(consentUses).set({ ledgerIndex }).where(and(eq(consentUses.consentId, consentId), eq(consentUses.verificationId, verificationId)));
}

export interface ConsentView {
  id: string;
  issuer: string;
  state: ConsentState;
  grantee: string;
  matters: string[];
  evidenceTypes: string[];
  notBefore: string;
  expiresAt: string;
  maxUses: number | null;
  useCount: number;
  method: string;
  proof: string;
  tokenHash: string;
  registeredAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  /** `ledgerIndex` null: the use was taken but its verification failed with 503 and disclosed nothing. */
  uses: { verificationId: string; requester: string; evidenceTypes: string[]; ledgerIndex: number | null; usedAt: string }[];
}

/**
 * A consent as its issuer sees it; undefined for anyone else (who is told it does not exist).
 * @example const view = await showConsent(db, id, caller.member, now);
 */
export async function showConsent(db: Queryable, id: string, viewer: Member, now: Date): Promise<ConsentView | undefined> {
  const c = await findConsent(db, id);
  if (!c || c.issuer !== viewer.id) return undefined;
  const uses = await db.select().from(consentUses).where(eq(consentUses.consentId, id)).orderBy(asc(consentUses.usedAt), asc(consentUses.verificationId));
  return {
    id: c.id,
    issuer: c.issuer,
    state: consentState(c, now),
    grantee: c.grantee,
    matters: c.matters,
    evidenceTypes: c.evidenceTypes,
    notBefore: c.notBefore.toISOString(),
    expiresAt: c.expiresAt.toISOString(),
    maxUses: c.maxUses,
    useCount: c.uses,
    method: c.method,
    proof: c.proof,
    tokenHash: c.tokenHash,
    registeredAt: c.createdAt.toISOString(),
    revokedAt: c.revokedAt?.toISOString() ?? null,
    revokedBy: c.revokedBy,
    uses: uses.map((u) => ({ verificationId: u.verificationId, requester: u.requester, evidenceTypes: u.evidenceTypes, ledgerIndex: u.ledgerIndex, usedAt: u.usedAt.toISOString() })),
  };
}

/**
 * Revokes a consent: its issuer or any consent collector (where people withdraw consent).
 * Idempotent; undefined (404) for anyone else. A use taken before the revocation stands.
 * @example const revoked = await revokeConsent(db, id, caller.member, now);
 */
export async function revokeConsent(db: Queryable, id: string, by: Member, now: Date): Promise<{ id: string; state: ConsentState; revokedAt: string; revokedBy: string } | undefined> {
  const c = await findConsent(db, id);
  if (!c || (c.issuer !== by.id && by.kind !== "consent-collector")) return undefined;
  await db.update(consents).set({ revokedAt: now, revokedBy: by.id }).where(and(eq(consents.id, id), isNull(consents.revokedAt)));
  const after = (await findConsent(db, id))!;
  return { id, state: consentState(after, now), revokedAt: after.revokedAt!.toISOString(), revokedBy: after.revokedBy! };
}

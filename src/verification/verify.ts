/**
 * POST /v1/verifications, as a domain verb. Reads top to bottom:
 * authenticate (done by the caller) → decide (policy per item, then quota and the consent use
 * taken atomically) → look up (parallel) → minimise → ledger → receipt → answer. Nothing is
 * disclosed unless its ledger entry has committed.
 */
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { HurenError } from "../errors.ts";
import type { AuthenticatedCaller } from "../auth/authenticate.ts";
import { directConfig, type ConfigReader } from "../config/cache.ts";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import type { Decision } from "../policies/evaluate.ts";
import { consentFacts, markConsentUseLedgered, presentConsent } from "../consent/registry.ts";
import type { SourceResolver } from "../sources/resolve.ts";
import type { JwsSigner } from "../keys/gateway-keys.ts";
import type { LedgerWriter } from "../ledger/writer.ts";
import { lookupItem } from "./lookup.ts";
import { giveBackQuota } from "../quotas/counters.ts";
import { describeError } from "../logging/errors.ts";
import { departmentNotAsked } from "../sources/resilience.ts";
import { planItems, reserve } from "./decide.ts";
import { buildReceiptPayload, receiptHash } from "./receipt.ts";
import { assertKnownFields, type ItemResult, type VerificationRequest, type VerificationResponse } from "./request.ts";

export interface VerifyDeps {
  db: Db;
  secrets: Secrets;
  signer: JwsSigner;
  resolver: SourceResolver;
  gatewayId: string;
  now: () => Date;
  newId: () => string;
  /** Group-commit writer: this verification's entry shares a transaction with concurrent ones. */
  ledger: LedgerWriter;
  /** Upper bound on any one lookup, over the adapter's own timeout. */
  lookupDeadlineMs: number;
  log: (event: Record<string, unknown>) => void;
  logError: (event: Record<string, unknown>) => void;
  /** Where the matter, evidence types, policies and regions are read; default the database, each time. */
  config?: ConfigReader;
}

/**
 * The last word on what leaves the gateway: only the verdict (`valid`, `certStatus`) and the
 * decided fields, whatever the adapter or the department put in the claims.
 * @example discloseOnly({ type, status: "verified", claims: { valid: true, ownerName: "x" } }, decision) // claims: { valid: true }
 */
export function discloseOnly(result: ItemResult, decision: Decision): ItemResult {
  if (!result.claims) return result;
  const { claims, ...rest } = result;
  if (!decision.permit) return rest;
  const allowed = new Set(["valid", "certStatus", ...decision.fields]);
  return { ...rest, claims: Object.fromEntries(Object.entries(claims).filter(([k]) => allowed.has(k))) };
}

/**
 * @throws HurenError unknown-matter / unknown-evidence-type / unknown-field (422), ledger-unavailable (503)
 */
export async function verify(
  deps: VerifyDeps,
  input: { caller: AuthenticatedCaller; body: VerificationRequest; requestHash: string },
): Promise<VerificationResponse> {
  const { caller, body } = input;
  const requester = caller.member;
  const verificationId = `vf_${deps.newId()}`;
  const startedAt = deps.now();

  const config = deps.config ?? directConfig(deps.db);
  const matter = await config.matter(body.matter);
  if (!matter) throw new HurenError("unknown-matter", 422, "Unknown matter", `matter "${body.matter}" is not in the catalog`);
  const wanted = body.evidence ?? matter.requirements.filter((r) => r.exempt).map((r) => ({ type: r.evidenceType, fields: undefined }));
  if (wanted.length === 0) {
    throw new HurenError("validation-failed", 422, "Nothing to verify", `matter "${body.matter}" marks no evidence as exempt; name the evidence to verify`, {
      errors: [{ path: "evidence", message: "required for this matter" }],
    });
  }
  const defs: EvidenceTypeDef[] = [];
  for (const item of wanted) {
    const def = await config.evidenceType(item.type);
    if (!def) throw new HurenError("unknown-evidence-type", 422, "Unknown evidence type", `evidence type "${item.type}" is not in the catalog`);
    defs.push(def);
  }
  assertKnownFields(wanted.map((item, i) => ({ def: defs[i]!, fields: item.fields })));

  // Decide. The consent, if any, is read once (an inline token is registered on first use) and
  // applies to every item it covers; one that cannot be read counts as none.
  const presented = body.consent ? await presentConsent(deps, body.consent, body.subject, { now: startedAt, register: true }) : undefined;
  const consent = presented?.record;
  const planned = await planItems({ db: deps.db, resolver: deps.resolver, config }, {
    requester,
    uid: caller.uid,
    matter,
    items: wanted.map((item, i) => ({ def: defs[i]!, fields: item.fields })),
    consent: consent && consentFacts(consent, startedAt),
    now: startedAt,
  });
  // Take quota and the consent use before anyone is asked, so a limit is never overrun.
  const { plans, consentUsed } = await reserve(deps.db, planned, { verificationId, requester: requester.id, uid: caller.uid, consentId: consent?.id, now: startedAt });

  // Look up every permitted item in parallel; each has its own deadline.
  const errors: ({ code: string; detail: string } | undefined)[] = [];
  // How long each department took (monotonic clock; for supervision's latency figures).
  const latencies: (number | undefined)[] = [];
  const results: ItemResult[] = await Promise.all(
    plans.map(async ({ def, decision, resolved }, i): Promise<ItemResult> => {
      if (!decision.permit) return { type: def.type, status: "denied", reason: decision.reasons[0] ?? "no-policy" };
      if (!resolved) {
        errors[i] = { code: "no-adapter", detail: `no enabled adapter answers for ${def.type} in region ${requester.region}` };
        return { type: def.type, status: "unavailable", reason: "no-adapter", checkedAt: deps.now().toISOString() };
      }
      const asked = performance.now();
      const outcome = await lookupItem({
        source: resolved.source,
        adapterId: resolved.adapterId,
        def,
        fields: decision.fields,
        deadlineMs: deps.lookupDeadlineMs,
        now: deps.now,
        request: {
          requestId: `${verificationId}#${i}`,
          evidenceType: def.type,
          subject: body.subject,
          fields: ["valid", ...decision.fields],
          matter: body.matter,
          requester: requester.id,
        },
      });
      latencies[i] = Math.round(performance.now() - asked);
      errors[i] = outcome.error;
      return discloseOnly(outcome.result, decision);
    }),
  );

  // Quota counts questions put to departments: an item answered at once without asking (circuit
  // open, overloaded) gives back what it took.
  for (const [i, p] of plans.entries()) {
    if (p.decision.permit && p.resolved && departmentNotAsked(errors[i]?.code)) {
      await giveBackQuota(deps.db, { evidenceType: p.def.type, window: requester.id, uid: caller.uid }, p.decision.quotas, startedAt);
    }
  }

  // Receipt payload first (without its ledger position), so the entry can commit to its hash.
  const { payload: receipt, subjectOpening } = await buildReceiptPayload({
    gatewayId: deps.gatewayId,
    window: requester.id,
    verificationId,
    issuedAt: deps.now(),
    matter: body.matter,
    caseRef: body.case,
    uid: caller.uid,
    subject: body.subject,
    results,
  });
  const subjectRef = await deps.secrets.subjectRef(body.subject);
  const permitted = plans.filter((p) => p.decision.permit).length;
  const decision = permitted === plans.length ? "permitted" : permitted === 0 ? "denied" : "partial";
  const recordedAt = deps.now();
  const entry = {
    v: 1,
    verificationId,
    time: recordedAt.toISOString(),
    gateway: deps.gatewayId,
    requester: requester.id,
    requesterRegion: requester.region,
    uid: caller.uid ?? null,
    matter: body.matter,
    case: body.case,
    subject: { type: body.subject.type, ref: subjectRef },
    decision,
    consent: consent?.id ?? null,
    consentProblem: presented?.problem ?? null,
    consentUsed,
    items: plans.map(({ def, decision: d }, i) => ({
      type: def.type,
      decision: d.permit ? "permit" : "deny",
      reasons: d.reasons,
      basis: d.basis,
      citation: d.citation,
      policyVersion: d.policyVersion,
      fields: d.fields,
      issuerRegion: plans[i]!.issuerRegion ?? null,
      agreement: d.agreement,
      status: results[i]!.status,
      source: results[i]!.source ?? null,
      adapterVersion: d.permit ? (plans[i]!.resolved?.adapterVersion ?? null) : null,
      error: errors[i]?.code ?? null,
      // For supervision (§10), since v1.1: who was asked, through which adapter, how long it
      // took. Null when no department was asked (denied, or no adapter). Older entries lack them.
      department: d.permit ? (plans[i]!.resolved?.department ?? null) : null,
      adapter: d.permit ? (plans[i]!.resolved?.adapterId ?? null) : null,
      latencyMs: latencies[i] ?? null,
    })),
    requestHash: input.requestHash,
    receiptHash: await receiptHash(receipt),
  };

  let ledger: { index: number; leafHash: string };
  try {
    // The consent use gets its ledger index in the entry's transaction, so a use is marked
    // ledgered exactly when its entry commits.
    ledger = await deps.ledger.append(
      {
        entry,
        verificationId,
        subjectRef,
        requester: requester.id,
        uid: caller.uid,
        matter: body.matter,
        caseRef: body.case,
        decision,
        evidenceTypes: defs.map((d) => d.type),
        recordedAt,
      },
      consentUsed ? (tx, appended) => markConsentUseLedgered(tx, consent!.id, verificationId, appended.index) : undefined,
    );
  } catch (err) {
    // Never the error's message: it quotes the insert's parameters, the entry itself.
    deps.logError({ event: "ledger-append-failed", verificationId, ...describeError(err) });
    throw new HurenError("ledger-unavailable", 503, "Ledger unavailable", "the access could not be recorded, so no data is returned; retry later", { cause: err });
  }

  for (const [i, e] of errors.entries()) {
    if (e) deps.log({ event: "source-failed", verificationId, item: i, type: plans[i]!.def.type, source: results[i]!.source, code: e.code, detail: e.detail });
  }
  const signed = await deps.signer.signJson("huren-receipt+jwt", { ...receipt, ledger });
  // The opening goes beside the receipt, never inside it (§3 v1.1).
  return { verificationId, results, receipt: signed, subjectOpening, ledger };
}

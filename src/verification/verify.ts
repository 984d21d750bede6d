/**
 * POST /v1/verifications, as a domain verb. Reads top to bottom:
 * authenticate (done by the caller) → decide → look up (parallel) → minimise → ledger →
 * receipt → answer. Nothing is disclosed unless its ledger entry has committed.
 */
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { HurenError } from "../errors.ts";
import type { AuthenticatedCaller } from "../auth/authenticate.ts";
import { getMatter, getEvidenceType } from "../catalog/store.ts";
import { claimFieldNames, type EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { getMember } from "../members/members.ts";
import { evaluate, type ConsentFacts, type Decision } from "../policies/evaluate.ts";
import { policiesFor } from "../policy-store/store.ts";
import { readConsentToken } from "../consent/inline.ts";
import type { SourceResolver } from "../sources/resolve.ts";
import type { JwsSigner } from "../keys/gateway-keys.ts";
import { appendEntry } from "../ledger/append.ts";
import { lookupItem } from "./lookup.ts";
import { buildReceiptPayload, receiptHash } from "./receipt.ts";
import type { ItemResult, VerificationRequest, VerificationResponse } from "./request.ts";

export interface VerifyDeps {
  db: Db;
  secrets: Secrets;
  signer: JwsSigner;
  resolver: SourceResolver;
  gatewayId: string;
  now: () => Date;
  newId: () => string;
  /** Upper bound on any one lookup, over the adapter's own timeout. */
  lookupDeadlineMs: number;
  log: (event: Record<string, unknown>) => void;
}

interface ItemPlan {
  def: EvidenceTypeDef;
  decision: Decision;
}

/**
 * @throws HurenError unknown-matter / unknown-evidence-type (422), ledger-unavailable (503)
 */
export async function verify(
  deps: VerifyDeps,
  input: { caller: AuthenticatedCaller; body: VerificationRequest; requestHash: string },
): Promise<VerificationResponse> {
  const { caller, body } = input;
  const requester = caller.member;
  const verificationId = `vf_${deps.newId()}`;
  const startedAt = deps.now();

  const matter = await getMatter(deps.db, body.matter);
  if (!matter) throw new HurenError("unknown-matter", 422, "Unknown matter", `matter "${body.matter}" is not in the catalog`);
  const wanted = body.evidence ?? matter.requirements.filter((r) => r.exempt).map((r) => ({ type: r.evidenceType, fields: undefined }));
  const defs: EvidenceTypeDef[] = [];
  for (const item of wanted) {
    const def = await getEvidenceType(deps.db, item.type);
    if (!def) throw new HurenError("unknown-evidence-type", 422, "Unknown evidence type", `evidence type "${item.type}" is not in the catalog`);
    defs.push(def);
  }

  // Decide. The consent, if any, is read once and applies to every item it covers.
  let consent: ConsentFacts | undefined;
  let consentNote: string | undefined;
  if (body.consent) {
    const reading = await readConsentToken(body.consent, { subject: body.subject, now: startedAt, findMember: (id) => getMember(deps.db, id) });
    if (reading.ok) consent = reading.facts;
    else consentNote = reading.problem;
  }
  const policies = await policiesFor(deps.db, defs.map((d) => d.type));
  const plans: ItemPlan[] = wanted.map((item, i) => {
    const def = defs[i]!;
    const decision = evaluate({
      evidenceType: { type: def.type, sensitivity: def.sensitivity, fieldNames: claimFieldNames(def), defaultFields: def.defaultFields },
      policies,
      requester: { id: requester.id, kind: requester.kind, region: requester.region },
      matter: body.matter,
      requestedFields: item.fields,
      consent,
    });
    return { def, decision };
  });

  // Look up every permitted item in parallel; each has its own deadline.
  const errors: ({ code: string; detail: string } | undefined)[] = [];
  const adapterVersions: (number | undefined)[] = [];
  const results: ItemResult[] = await Promise.all(
    plans.map(async ({ def, decision }, i): Promise<ItemResult> => {
      if (!decision.permit) return { type: def.type, status: "denied", reason: decision.reasons[0] ?? "no-policy" };
      const resolved = await deps.resolver.resolve(def.type, requester.region);
      if (!resolved) {
        errors[i] = { code: "no-adapter", detail: `no enabled adapter answers for ${def.type} in region ${requester.region}` };
        return { type: def.type, status: "unavailable", reason: "no-adapter", checkedAt: deps.now().toISOString() };
      }
      adapterVersions[i] = resolved.adapterVersion;
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
      errors[i] = outcome.error;
      return outcome.result;
    }),
  );

  // Receipt payload first (without its ledger position), so the entry can commit to its hash.
  const receipt = await buildReceiptPayload({
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
    consentProblem: consentNote ?? null,
    items: plans.map(({ def, decision: d }, i) => ({
      type: def.type,
      decision: d.permit ? "permit" : "deny",
      reasons: d.reasons,
      basis: d.basis,
      citation: d.citation,
      policyVersion: d.policyVersion,
      fields: d.fields,
      status: results[i]!.status,
      source: results[i]!.source ?? null,
      adapterVersion: adapterVersions[i] ?? null,
      error: errors[i]?.code ?? null,
    })),
    requestHash: input.requestHash,
    receiptHash: await receiptHash(receipt),
  };

  let ledger: { index: number; leafHash: string };
  try {
    ledger = await deps.db.transaction((tx) =>
      appendEntry(tx, {
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
      }),
    );
  } catch (err) {
    deps.log({ event: "ledger-append-failed", verificationId, error: err instanceof Error ? err.message : String(err) });
    throw new HurenError("ledger-unavailable", 503, "Ledger unavailable", "the access could not be recorded, so no data is returned; retry later", { cause: err });
  }

  for (const [i, e] of errors.entries()) {
    if (e) deps.log({ event: "source-failed", verificationId, item: i, type: plans[i]!.def.type, source: results[i]!.source, code: e.code, detail: e.detail });
  }
  const signed = await deps.signer.signJson("huren-receipt+jwt", { ...receipt, ledger });
  return { verificationId, results, receipt: signed, ledger };
}

/**
 * Deciding the items of a verification (or of a dry run): gather the facts a policy needs —
 * governing policies, which department would answer and where it is, this hour's quota usage,
 * the consent — and evaluate; then, for a real verification, take quota and the consent use
 * atomically before any department is asked. Nothing here contacts a department.
 */
import type { Db } from "../db/types.ts";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { claimFieldNames } from "../catalog/evidence-types.ts";
import type { Member } from "../members/members.ts";
import { denial, evaluate, type ConsentFacts, type Decision } from "../policies/evaluate.ts";
import { policySections, type PolicyVersion } from "../policies/model.ts";
import { regionListCovers } from "../policies/regions.ts";
import { giveBackQuota, quotaUsage, takeQuota } from "../quotas/counters.ts";
import { takeConsentUse } from "../consent/registry.ts";
import type { ResolvedSource, SourceResolver } from "../sources/resolve.ts";
import { directConfig, type ConfigReader } from "../config/cache.ts";

export interface DecideDeps {
  db: Db;
  resolver: SourceResolver;
  /** Where policies and departments' regions are read; default the database, each time. */
  config?: ConfigReader;
}

export interface ItemPlan {
  def: EvidenceTypeDef;
  decision: Decision;
  /** The adapter that would answer; undefined when none does. */
  resolved: ResolvedSource | undefined;
  /** The answering department's region: where the certificate is issued. */
  issuerRegion: string | undefined;
}

export interface PlanInput {
  requester: Member;
  uid: string | undefined;
  matter: { code: string; region: string };
  items: { def: EvidenceTypeDef; fields: string[] | undefined }[];
  consent: ConsentFacts | undefined;
  now: Date;
  /** Dry run only: decide as if the certificate were issued here, without resolving an adapter. */
  assumeIssuerRegion?: string | undefined;
}

const sectionsFor = (policies: PolicyVersion[], type: string) => policies.flatMap((p) => policySections(p.document)).filter((s) => s.evidenceType === type).map((s) => s.section);

/**
 * The window's own area first (the resolver's normal pick). Only when nothing answers there:
 * the matter's region (a window taking in another city's matter), then the issuer regions of
 * agreements that cover the window — so a cross-region certificate is found exactly where
 * policy could recognise it, and the policy still decides.
 */
async function pickSource(deps: DecideDeps, type: string, input: PlanInput, policies: PolicyVersion[]): Promise<ResolvedSource | undefined> {
  const own = input.requester.region;
  const home = await deps.resolver.resolve(type, own);
  if (home || !own) return home;
  const agreed = sectionsFor(policies, type).flatMap((s) => (s.agreements ?? []).filter((a) => regionListCovers(a.requesterRegions, own)).flatMap((a) => a.issuerRegions));
  for (const region of new Set([input.matter.region, ...agreed])) {
    const found = await deps.resolver.resolve(type, region);
    if (found) return found;
  }
  return undefined;
}

/**
 * @example
 * const plans = await planItems(deps, { requester, uid, matter, items, consent, now });
 * plans[0].decision.permit; plans[0].resolved?.adapterId;
 */
export async function planItems(deps: DecideDeps, input: PlanInput): Promise<ItemPlan[]> {
  const config = deps.config ?? directConfig(deps.db);
  const policies = await config.policiesFor(input.items.map((i) => i.def.type));
  const regions = new Map<string, string | undefined>();
  const regionOf = async (department: string) => {
    if (!regions.has(department)) regions.set(department, (await config.member(department))?.region ?? undefined);
    return regions.get(department);
  };
  const plans: ItemPlan[] = [];
  for (const { def, fields } of input.items) {
    const governed = sectionsFor(policies, def.type);
    const resolved = governed.length === 0 || input.assumeIssuerRegion ? undefined : await pickSource(deps, def.type, input, policies);
    const issuerRegion = input.assumeIssuerRegion ?? (resolved ? await regionOf(resolved.department) : undefined);
    const usage = governed.some((s) => s.quotas) ? await quotaUsage(deps.db, { evidenceType: def.type, window: input.requester.id, uid: input.uid }, input.now) : undefined;
    const decision = evaluate({
      evidenceType: { type: def.type, sensitivity: def.sensitivity, fieldNames: claimFieldNames(def), defaultFields: def.defaultFields },
      policies,
      requester: { id: input.requester.id, kind: input.requester.kind, region: input.requester.region, uid: input.uid },
      matter: input.matter.code,
      requestedFields: fields,
      consent: input.consent,
      now: input.now,
      issuerRegion,
      usage,
    });
    plans.push({ def, decision, resolved, issuerRegion });
  }
  return plans;
}

/**
 * Takes what the permitted items need before any department is asked: one unit of each quota
 * per item, then one consent use for the whole verification. An item whose take fails becomes a
 * denial with the reason the take gave. Quota goes first, so a consent use is never spent on an
 * item the quota then refuses; an item the consent then refuses gives its quota back, so quota
 * is never spent on a refused item either. Neither is given back if the ledger later fails: the
 * department was asked on their strength (the verification then answers 503 and discloses nothing).
 * @example const { plans, consentUsed } = await reserve(db, plans, { verificationId, requester, uid, consentId, now });
 */
export async function reserve(
  db: Db,
  plans: ItemPlan[],
  ctx: { verificationId: string; requester: string; uid: string | undefined; consentId: string | undefined; now: Date },
): Promise<{ plans: ItemPlan[]; consentUsed: boolean }> {
  const out = [...plans];
  const deny = (i: number, reason: Decision["reasons"][number]) => {
    out[i] = { ...out[i]!, decision: denial([reason], out[i]!.decision.policyVersion) };
  };
  // Only items that will be looked up take anything: a permitted item without an adapter asks no one.
  const asking = (i: number) => out[i]!.decision.permit && out[i]!.resolved !== undefined;
  for (const [i, p] of out.entries()) {
    if (!asking(i)) continue;
    if (!(await takeQuota(db, { evidenceType: p.def.type, window: ctx.requester, uid: ctx.uid }, p.decision.quotas, ctx.now))) deny(i, "quota-exceeded");
  }
  const onConsent = out.map((_, i) => i).filter((i) => asking(i) && out[i]!.decision.basis === "consent");
  if (onConsent.length === 0 || !ctx.consentId) return { plans: out, consentUsed: false };
  const taken = await takeConsentUse(db, { id: ctx.consentId, verificationId: ctx.verificationId, requester: ctx.requester, evidenceTypes: onConsent.map((i) => out[i]!.def.type), now: ctx.now });
  if (!taken.ok) {
    for (const i of onConsent) {
      await giveBackQuota(db, { evidenceType: out[i]!.def.type, window: ctx.requester, uid: ctx.uid }, out[i]!.decision.quotas, ctx.now);
      deny(i, taken.reason);
    }
  }
  return { plans: out, consentUsed: taken.ok };
}

/**
 * `POST /v1/policies/evaluate`: "would this query be allowed, and why?" The same decision a
 * verification would make — same policies, adapter choice, quota usage and consent — with no
 * side effect: no department is asked, nothing is ledgered, no quota or consent use is taken,
 * an inline consent token is checked but not registered.
 */
import { z } from "zod";
import type { Secrets } from "../crypto/secrets.ts";
import { HurenError } from "../errors.ts";
import { directConfig } from "../config/cache.ts";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { matterCodeSchema } from "../catalog/bodies.ts";
import { subjectSchema } from "../catalog/subject.ts";
import { getMember, memberIdSchema, regionSchema } from "../members/members.ts";
import { explainReason, type ReasonCode } from "../policies/reasons.ts";
import type { LegalBasis } from "../policies/model.ts";
import { consentFacts, presentConsent } from "../consent/registry.ts";
import { assertKnownFields, evidenceListSchema } from "./request.ts";
import { planItems, type DecideDeps } from "./decide.ts";

export const dryRunRequestSchema = z
  .object({
    /** The window that would ask. */
    requester: memberIdSchema,
    /** The operator, for the per-operator quota. */
    uid: z.string().min(1).max(64).optional(),
    matter: matterCodeSchema,
    subject: subjectSchema.optional(),
    evidence: evidenceListSchema.optional(),
    consent: z.string().min(1).max(16384).optional(),
    /** Decide as if the certificate were issued here, instead of asking which adapter would answer. */
    issuerRegion: regionSchema.optional(),
    /** Decide at this time (service hours, consent validity); default now. */
    at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((d) => d.consent === undefined || d.subject !== undefined, { path: ["subject"], message: "a consent is checked against its subject: give the subject too" });

export type DryRunRequest = z.infer<typeof dryRunRequestSchema>;

export interface DryRunItem {
  type: string;
  permit: boolean;
  basis: LegalBasis | null;
  citation: string | null;
  fields: string[];
  reasons: ReasonCode[];
  explanations: string[];
  policyVersion: string | null;
  agreement: string | null;
  issuerRegion: string | null;
  /** The adapter that would be asked. */
  adapter: string | null;
}

export interface DryRunResult {
  at: string;
  requester: string;
  matter: string;
  consent: { id: string | null; problem: string | null } | null;
  items: DryRunItem[];
}

/**
 * @throws HurenError unknown-member / unknown-matter / unknown-evidence-type / unknown-field (422)
 * @example
 * const { items } = await dryRun({ db, resolver, secrets, now }, { requester: "nanguan-window-01", matter: "220100-public-rental-housing" });
 * items[0].reasons; // ["consent-required"]
 */
export async function dryRun(deps: DecideDeps & { secrets: Secrets; now: () => Date }, input: DryRunRequest): Promise<DryRunResult> {
  const requester = await getMember(deps.db, input.requester);
  if (requester?.kind !== "window") throw new HurenError("unknown-member", 422, "Unknown window", `"${input.requester}" is not a registered window`, { errors: [{ path: "requester", message: "not a registered window" }] });
  // The requester is read fresh (an admin asking about a window just registered); the rest as a
  // verification in this process would read it, so the answer is the one it would get.
  const config = deps.config ?? directConfig(deps.db);
  const matter = await config.matter(input.matter);
  if (!matter) throw new HurenError("unknown-matter", 422, "Unknown matter", `matter "${input.matter}" is not in the catalog`);
  const wanted = input.evidence ?? matter.requirements.filter((r) => r.exempt).map((r) => ({ type: r.evidenceType, fields: undefined }));
  const items: { def: EvidenceTypeDef; fields: string[] | undefined }[] = [];
  for (const item of wanted) {
    const def = await config.evidenceType(item.type);
    if (!def) throw new HurenError("unknown-evidence-type", 422, "Unknown evidence type", `evidence type "${item.type}" is not in the catalog`);
    items.push({ def, fields: item.fields });
  }
  assertKnownFields(items);
  const now = input.at ? new Date(input.at) : deps.now();
  const presented = input.consent && input.subject ? await presentConsent(deps, input.consent, input.subject, { now, register: false }) : undefined;
  const plans = await planItems({ db: deps.db, resolver: deps.resolver, config }, {
    requester,
    uid: input.uid,
    matter,
    items,
    consent: presented?.record && consentFacts(presented.record, now),
    now,
    assumeIssuerRegion: input.issuerRegion,
  });
  return {
    at: now.toISOString(),
    requester: requester.id,
    matter: matter.code,
    consent: presented ? { id: presented.record?.id ?? null, problem: presented.problem ?? null } : null,
    items: plans.map(({ def, decision: d, resolved, issuerRegion }) => ({
      type: def.type,
      permit: d.permit,
      basis: d.basis,
      citation: d.citation,
      fields: d.fields,
      reasons: d.reasons,
      explanations: d.reasons.map(explainReason),
      policyVersion: d.policyVersion,
      agreement: d.agreement,
      issuerRegion: issuerRegion ?? null,
      adapter: resolved?.adapterId ?? null,
    })),
  };
}

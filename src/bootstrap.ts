/**
 * The bootstrap file (§4, HUREN_BOOTSTRAP): members, evidence types, matters, policies and
 * adapters, each a PUT body with its key added. Applied at every start and idempotent: what is
 * already as described is left alone (no new versions, no touched timestamps).
 */
import canonicalize from "canonicalize";
import { z } from "zod";
import type { Db } from "./db/types.ts";
import type { Secrets } from "./crypto/secrets.ts";
import { getMember, memberBodySchema, memberIdSchema, putMember } from "./members/members.ts";
import { evidenceTypeBodySchema, matterBodySchema, matterCodeSchema } from "./catalog/bodies.ts";
import { getEvidenceType, getMatter, putEvidenceType, putMatter } from "./catalog/store.ts";
import { policyDocumentSchema } from "./policies/model.ts";
import { putPolicy } from "./policy-store/store.ts";
import { witnessesSchema } from "./ledger/witness-config.ts";
import { rateLimitsSchema } from "./ratelimit/settings.ts";
import { adapterBodySchema, parseAdapterConfig } from "./sources/adapter-config.ts";
import { loadAdapterConfig } from "./sources/store.ts";
import { putAdapter, type PutAdapterOptions } from "./sources/register.ts";

export const bootstrapSchema = z
  .object({
    members: z.array(z.looseObject({ id: memberIdSchema })).default([]),
    evidenceTypes: z.array(z.looseObject({ type: z.string() })).default([]),
    matters: z.array(z.looseObject({ code: matterCodeSchema })).default([]),
    policies: z.array(z.looseObject({ id: z.string() })).default([]),
    adapters: z.array(z.looseObject({ id: memberIdSchema })).default([]),
    /** Ledger witnesses (PROTOCOL §5.2): settings read by the entry at start, not stored. */
    witnesses: witnessesSchema.optional(),
    witnessQuorum: z.number().int().min(0).optional(),
    /** Request rate limits (docs/operators.md): settings read by the entry at start, not stored; HUREN_RATE_LIMITS replaces them. */
    rateLimits: rateLimitsSchema.optional(),
  })
  .strict();
export type BootstrapFile = z.input<typeof bootstrapSchema>;

const same = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);

function parseItem<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${where}.${i.path.join(".")}: ${i.message}`);
    throw new Error(`bootstrap file is invalid:\n  ${issues.join("\n  ")}`);
  }
  return parsed.data;
}

export interface BootstrapReport {
  changed: string[];
  unchanged: number;
}

/**
 * @example
 * const report = await applyBootstrap(db, secrets, JSON.parse(await readFile(path, "utf8")));
 * // report.changed: ["member nanguan-window-01", ...]; empty on the second run
 */
export async function applyBootstrap(db: Db, secrets: Secrets, input: unknown, options: PutAdapterOptions = {}): Promise<BootstrapReport> {
  const file = parseItem(bootstrapSchema, input, "$");
  const report: BootstrapReport = { changed: [], unchanged: 0 };
  const note = (changed: boolean, what: string) => (changed ? report.changed.push(what) : report.unchanged++);

  for (const [i, raw] of file.members.entries()) {
    const { id, ...rest } = raw;
    const body = parseItem(memberBodySchema, rest, `members[${i}]`);
    const existing = await getMember(db, id);
    // Grants left out of the file are left as they are (putMember keeps them), so compare only what is given.
    const unchanged =
      existing &&
      same({ kind: existing.kind, name: existing.name, region: existing.region ?? undefined, jwks: existing.jwks, enabled: existing.enabled, grants: body.grants === undefined ? undefined : existing.grants }, body);
    if (!unchanged) await putMember(db, id, body);
    note(!unchanged, `member ${id}`);
  }
  for (const [i, raw] of file.evidenceTypes.entries()) {
    const { type, ...rest } = raw;
    const body = parseItem(evidenceTypeBodySchema, rest, `evidenceTypes[${i}]`);
    const existing = await getEvidenceType(db, type);
    const unchanged = existing && same({ name: existing.name, issuerKind: existing.issuerKind, sensitivity: existing.sensitivity, claims: existing.claims, defaultFields: existing.defaultFields }, body);
    if (!unchanged) await putEvidenceType(db, type, body);
    note(!unchanged, `evidence type ${type}`);
  }
  for (const [i, raw] of file.matters.entries()) {
    const { code, ...rest } = raw;
    const body = parseItem(matterBodySchema, rest, `matters[${i}]`);
    const existing = await getMatter(db, code);
    const unchanged = existing && same({ ...existing, code: undefined }, body);
    if (!unchanged) await putMatter(db, code, body);
    note(!unchanged, `matter ${code}`);
  }
  for (const [i, raw] of file.policies.entries()) {
    const { id, ...rest } = raw;
    const { changed } = await putPolicy(db, id, parseItem(policyDocumentSchema, rest, `policies[${i}]`));
    note(changed, `policy ${id}`);
  }
  for (const [i, raw] of file.adapters.entries()) {
    const { id, ...rest } = raw;
    const body = parseItem(adapterBodySchema, rest, `adapters[${i}]`);
    const existing = await loadAdapterConfig(db, secrets, id);
    const unchanged =
      existing &&
      same({ department: existing.department, kind: existing.kind, evidenceTypes: existing.evidenceTypes, enabled: existing.enabled }, { department: body.department, kind: body.kind, evidenceTypes: body.evidenceTypes, enabled: body.enabled }) &&
      same(existing.config, parseAdapterConfig(body.kind, body.config));
    if (!unchanged) await putAdapter(db, secrets, id, body, { id: "bootstrap", kind: "bootstrap" }, options);
    note(!unchanged, `adapter ${id}`);
  }
  return report;
}

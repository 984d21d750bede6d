/**
 * What the administration pages edit, one descriptor per resource: how to list it, the body a
 * PUT to the API would send (what the editor shows and the diff compares), the schema that body
 * must pass, and the domain verb that stores it — the same verbs as /v1/members, /v1/adapters,
 * /v1/catalog and /v1/policies, so a console change is the same change as an API one.
 */
import { z } from "zod";
import type { AppDeps } from "../../deps.ts";
import { getMember, listMembers, memberBodySchema, memberIdSchema, putMember } from "../../members/members.ts";
import { adapterBodySchema } from "../../sources/adapter-config.ts";
import { adapterBodyOf, getAdapter, listAdapters } from "../../sources/store.ts";
import { putAdapter } from "../../sources/register.ts";
import { keepSealed } from "../../sources/keep-sealed.ts";
import { evidenceTypeSlug } from "../../catalog/evidence-types.ts";
import { evidenceTypeBodySchema, matterBodySchema, matterCodeSchema } from "../../catalog/bodies.ts";
import { getEvidenceType, getMatter, listEvidenceTypes, listMatters, putEvidenceType, putMatter } from "../../catalog/store.ts";
import { policyDocumentSchema } from "../../policies/model.ts";
import { getPolicy, listPolicies, putPolicy } from "../../policy-store/store.ts";
import type { MessageKey } from "../i18n/t.tsx";

export const RESOURCES = ["members", "adapters", "matters", "evidence-types", "policies"] as const;
export type ResourceName = (typeof RESOURCES)[number];

export interface AdminResource {
  label: MessageKey;
  idSchema: z.ZodType<string>;
  /** Column headers (message keys) and, per record, its id and cells. */
  columns: MessageKey[];
  list(): Promise<{ id: string; cells: string[] }[]>;
  /** The record as a PUT body, or undefined when there is none. */
  get(id: string): Promise<unknown>;
  schema: z.ZodType<unknown>;
  /** Stores it as `by` (the signed-in admin's member and staff uid). */
  put(id: string, body: unknown, by: { member: string; uid: string }): Promise<void>;
  /** What a new record's editor starts with. */
  template: unknown;
}

const slug = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/);

export function adminResources(deps: AppDeps): Record<ResourceName, AdminResource> {
  const { db, secrets } = deps;
  return {
    members: {
      label: "members",
      idSchema: memberIdSchema,
      columns: ["memberKind", "name", "region", "state", "keys"],
      list: async () => (await listMembers(db)).map((m) => ({ id: m.id, cells: [m.kind, m.name, m.region ?? "—", m.enabled ? "✓" : "✗", String(m.jwks.keys.length)] })),
      get: async (id) => {
        const m = await getMember(db, id);
        return m && { kind: m.kind, name: m.name, ...(m.region ? { region: m.region } : {}), jwks: m.jwks, enabled: m.enabled, ...(m.grants ? { grants: m.grants } : {}) };
      },
      schema: memberBodySchema,
      put: async (id, body) => void (await putMember(db, id, body as z.infer<typeof memberBodySchema>)),
      template: { kind: "window", name: "", region: "220102", jwks: { keys: [] }, enabled: true },
    },
    adapters: {
      label: "adapters",
      idSchema: memberIdSchema,
      columns: ["department", "adapterKind", "evidenceTypes", "state", "version"],
      list: async () => (await listAdapters(db)).map((a) => ({ id: a.id, cells: [a.department, a.kind, a.evidenceTypes.join(", "), a.enabled ? "✓" : "✗", String(a.version)] })),
      get: async (id) => {
        const a = await getAdapter(db, id);
        return a && adapterBodyOf(a);
      },
      schema: adapterBodySchema,
      // Secrets shown as "(sealed)" are kept, as PUT /v1/adapters/{id} keeps them.
      put: async (id, body, by) =>
        void (await putAdapter(db, secrets, id, await keepSealed(db, secrets, id, body as z.infer<typeof adapterBodySchema>), { id: by.member, kind: "admin" }, { reach: deps.reach })),
      template: { department: "", kind: "http", evidenceTypes: [], config: { endpoint: "https://", timeoutMs: 3000, answerSignature: "required" }, enabled: true },
    },
    matters: {
      label: "matters",
      idSchema: matterCodeSchema,
      columns: ["name", "region", "evidenceTypes"],
      list: async () => (await listMatters(db)).map((m) => ({ id: m.code, cells: [m.name, m.region, m.requirements.map((r) => `${r.evidenceType}${r.exempt ? " ✓" : ""}`).join(", ")] })),
      get: async (code) => {
        const m = await getMatter(db, code);
        if (!m) return undefined;
        const { code: _code, ...body } = m;
        return body;
      },
      schema: matterBodySchema,
      put: async (code, body) => void (await putMatter(db, code, body as z.infer<typeof matterBodySchema>)),
      template: { name: "", region: "220100", requirements: [] },
    },
    "evidence-types": {
      label: "evidenceTypes",
      idSchema: z.string().max(64).regex(evidenceTypeSlug),
      columns: ["name", "sensitivity", "builtin"],
      list: async () => (await listEvidenceTypes(db)).map((t) => ({ id: t.type, cells: [t.name, t.sensitivity, t.builtin ? "✓" : ""] })),
      get: async (type) => {
        const t = await getEvidenceType(db, type);
        return t && { name: t.name, issuerKind: t.issuerKind, sensitivity: t.sensitivity, claims: t.claims, defaultFields: t.defaultFields };
      },
      schema: evidenceTypeBodySchema,
      put: async (type, body) => void (await putEvidenceType(db, type, body as z.infer<typeof evidenceTypeBodySchema>)),
      template: { name: "", issuerKind: "", sensitivity: "ordinary", claims: { type: "object", properties: {} }, defaultFields: [] },
    },
    policies: {
      label: "policies",
      idSchema: slug,
      columns: ["version", "hash"],
      list: async () => (await listPolicies(db)).map((p) => ({ id: p.id, cells: [String(p.version), p.hash.slice(0, 12)] })),
      get: async (id) => (await getPolicy(db, id))?.document,
      schema: policyDocumentSchema,
      put: async (id, body) => void (await putPolicy(db, id, body as z.infer<typeof policyDocumentSchema>)),
      template: { evidenceType: "", rules: [] },
    },
  };
}

/**
 * The admin bodies that register the catalog: `PUT /v1/catalog/evidence-types/{type}` (a claims
 * JSON Schema, checked by `./claims-schema.ts`) and `PUT /v1/catalog/matters/{code}` (a matter and
 * its material list), and the matter codes used in URLs and verification requests.
 */
import { z } from "zod";
import { evidenceTypeNameSchema, isPlainObject, SENSITIVITIES } from "./evidence-types.ts";
import { claimsSchemaIssues } from "./claims-schema.ts";

const issuerKindSlug = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Body of `PUT /v1/catalog/evidence-types/{type}`. Unknown keys are rejected so a misspelt
 * `defaultField` is an error, not a type that silently discloses nothing.
 * @example evidenceTypeBodySchema.parse({ name: "完税证明", issuerKind: "taxation", sensitivity: "ordinary",
 *   claims: { type: "object", properties: { taxYear: { type: "integer" } } }, defaultFields: [] })
 */
export const evidenceTypeBodySchema = z
  .object({
    name: z.string().min(1).max(128),
    issuerKind: z.string().max(64).regex(issuerKindSlug, "must be a slug like civil-affairs"),
    sensitivity: z.enum(SENSITIVITIES),
    claims: z
      .record(z.string(), z.unknown())
      .describe("JSON Schema (draft 2020-12) of the claims: an object schema with properties")
      .superRefine((schema, ctx) => {
        for (const p of claimsSchemaIssues(schema)) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
      }),
    defaultFields: z.array(z.string().min(1).max(64)).max(64).default([]),
  })
  .strict()
  .superRefine((body, ctx) => {
    const props = isPlainObject(body.claims.properties) ? body.claims.properties : {};
    const seen = new Set<string>();
    body.defaultFields.forEach((field, i) => {
      if (!Object.hasOwn(props, field)) ctx.addIssue({ code: "custom", path: ["defaultFields", i], message: `"${field}" is not a property of claims` });
      if (seen.has(field)) ctx.addIssue({ code: "custom", path: ["defaultFields", i], message: `"${field}" is listed twice` });
      seen.add(field);
    });
  });

/** Matter codes as used in URLs and verification requests. */
export const matterCodeSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must match ^[A-Za-z0-9._-]{1,64}$");

export const matterRequirementSchema = z
  .object({
    evidenceType: evidenceTypeNameSchema,
    /** True when the window must not ask for the paper certificate (免提交). */
    exempt: z.boolean(),
    note: z.string().min(1).max(500).optional(),
  })
  .strict();

/**
 * Body of `PUT /v1/catalog/matters/{code}`: a matter (政务服务事项) and its material list.
 * @example matterBodySchema.parse({ name: "公租房申请", region: "350100",
 *   requirements: [{ evidenceType: "housing.no-property-proof", exempt: true }] })
 */
export const matterBodySchema = z
  .object({
    name: z.string().min(1).max(128),
    region: z.string().regex(/^\d{6}$/, "must be a 6-digit region code"),
    requirements: z
      .array(matterRequirementSchema)
      .max(100)
      .superRefine((reqs, ctx) => {
        const seen = new Set<string>();
        reqs.forEach((r, i) => {
          if (seen.has(r.evidenceType)) ctx.addIssue({ code: "custom", path: [i, "evidenceType"], message: `"${r.evidenceType}" is listed twice` });
          seen.add(r.evidenceType);
        });
      }),
  })
  .strict();

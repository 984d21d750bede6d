/** docs/policies.md stays true: its examples are valid documents and its table names every reason. */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { policyDocumentSchema, policySections } from "../src/policies/model.ts";
import { REASON_CODES } from "../src/policies/reasons.ts";
import { BUILTIN_EVIDENCE_TYPES } from "../src/catalog/builtin-types.ts";
import { claimFieldNames } from "../src/catalog/evidence-types.ts";
import { bootstrapSchema } from "../src/bootstrap.ts";
import { dryRunRequestSchema } from "../src/verification/dry-run.ts";

const text = readFileSync(new URL("../docs/policies.md", import.meta.url), "utf8");
const blocks = (tag: string) => [...text.matchAll(new RegExp("```json " + tag + "\\n([\\s\\S]*?)```", "g"))].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);

/** Fields of built-in types must be claims of the type (the gateway refuses them otherwise). */
function checkFields(doc: unknown) {
  for (const { evidenceType, section } of policySections(policyDocumentSchema.parse(doc))) {
    const builtin = BUILTIN_EVIDENCE_TYPES.find((t) => t.type === evidenceType);
    if (!builtin) continue;
    for (const rule of section.rules) for (const f of rule.fields) expect(claimFieldNames(builtin), `${evidenceType}.${f}`).toContain(f);
  }
}

describe("docs/policies.md", () => {
  it("every policy example is a valid document naming real claims", () => {
    const docs = blocks("policy");
    expect(docs.length).toBeGreaterThanOrEqual(6);
    for (const doc of docs) checkFields(doc);
    // The five built-in types of the worked example each have a policy.
    const governed = new Set(docs.flatMap((d) => policySections(policyDocumentSchema.parse(d)).map((s) => s.evidenceType)));
    for (const t of BUILTIN_EVIDENCE_TYPES) expect(governed).toContain(t.type);
  });

  it("the bootstrap and dry-run examples parse", () => {
    for (const file of blocks("bootstrap")) {
      const parsed = bootstrapSchema.parse(file);
      for (const { id: _id, ...doc } of parsed.policies) checkFields(doc);
    }
    for (const body of blocks("dry-run")) expect(dryRunRequestSchema.safeParse({ ...body, consent: "consent-id-0000000001" }).success).toBe(true);
  });

  it("the denial table explains every reason code", () => {
    for (const code of REASON_CODES) expect(text).toContain(`| \`${code}\` |`);
  });
});

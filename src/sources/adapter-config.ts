/**
 * What an adapter registration may say: its kinds, the PUT body, each kind's config schema, the
 * config keys that are sealed rather than stored, and where a config connects to. Anything that
 * could identify a person (fixture records, probe subjects) or open a door (connection strings)
 * is sealed, never stored in clear and never echoed. No database here: `huren check` and the
 * conformance check validate with these too; registering is `./register.ts`.
 */
import { z } from "zod";
import { HurenError, type FieldError } from "../errors.ts";
import { memberIdSchema } from "../members/members.ts";
import type { ReachTarget } from "../reach/guard.ts";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { httpConfigSchema } from "../adapters/http.ts";
import { fixtureConfigSchema } from "../adapters/fixture.ts";
import { parseConnectionString, sqlConfigSchema, sqlMappingIssues } from "../adapters/sql-config.ts";

export const ADAPTER_KINDS = ["http", "sql", "fixture"] as const;
export type AdapterKind = (typeof ADAPTER_KINDS)[number];

export const adapterBodySchema = z
  .object({
    department: memberIdSchema,
    kind: z.enum(ADAPTER_KINDS),
    evidenceTypes: z.array(z.string().min(1).max(64)).min(1).max(50),
    config: z.record(z.string(), z.unknown()),
    enabled: z.boolean().default(true),
  })
  .strict();
export type AdapterBody = z.infer<typeof adapterBodySchema>;

/** Keys of a config that are sealed rather than stored. */
export const SEALED_KEYS: Record<AdapterKind, string[]> = { http: ["probe"], fixture: ["records"], sql: ["connectionString", "probe"] };
/** Stands in the public config for a sealed value, so GET shows that one is set. */
export const SEALED = "(sealed)";

const CONFIG_SCHEMAS = { http: httpConfigSchema, fixture: fixtureConfigSchema, sql: sqlConfigSchema } as const;

/** Validates a config for its kind, with defaults applied (what is stored). */
export function parseAdapterConfig(kind: AdapterKind, config: unknown): Record<string, unknown> {
  const parsed = CONFIG_SCHEMAS[kind].safeParse(config);
  if (!parsed.success) {
    // Paths and messages only: zod's messages do not quote values, and a value may be a secret.
    const errors = parsed.error.issues.map((i) => ({ path: ["config", ...i.path].join("."), message: i.message }));
    throw new HurenError("invalid-adapter-config", 422, "Invalid adapter configuration", "the adapter config is not valid", { errors });
  }
  return parsed.data as Record<string, unknown>;
}

/** Checks that need the catalog: an sql adapter's claim mapping against its evidence types. */
export function checkAgainstCatalog(kind: AdapterKind, config: Record<string, unknown>, defs: readonly EvidenceTypeDef[]): void {
  if (kind !== "sql") return;
  const issues = sqlMappingIssues(config as z.infer<typeof sqlConfigSchema>, defs);
  if (issues.length) {
    const errors: FieldError[] = issues.map((i) => ({ path: `config.${i.path}`, message: i.message }));
    throw new HurenError("invalid-adapter-config", 422, "Invalid adapter configuration", errors[0]!.message, { errors });
  }
}

/** Where an adapter's config connects to (http endpoint, sql host), or undefined (fixture). */
export function reachTarget(kind: AdapterKind, config: Record<string, unknown>): ReachTarget | undefined {
  if (kind === "http") {
    const url = new URL(config.endpoint as string);
    return { host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80 };
  }
  if (kind === "sql") {
    const target = parseConnectionString(config.connectionString as string);
    return typeof target === "string" ? undefined : { host: target.host, port: target.port, database: target.database };
  }
  return undefined;
}

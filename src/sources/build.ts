/**
 * One factory from a stored adapter (kind + config) to a running source, wrapped in the
 * resilience layer. Shared by the resolver (live lookups), the conformance check behind
 * `POST /v1/adapters/{id}/check` and the `huren check` CLI, so all three behave alike.
 */
import type { AdapterContext, EvidenceSource } from "../adapters/types.ts";
import { DEFAULT_BREAKER, type CircuitBreakerConfig } from "../adapters/limits.ts";
import { createHttpSource, httpConfigSchema } from "../adapters/http.ts";
import { createFixtureSource, fixtureConfigSchema } from "../adapters/fixture.ts";
import { createSqlSource, sqlConfigSchema } from "../adapters/sql.ts";
import { withResilience, type ResilienceOptions, type ResilientSource } from "./resilience.ts";
import type { LookupStats } from "./stats.ts";

import type { AdapterKind } from "./adapter-config.ts";

/** Fixture lookups are local, so their deadline only guards a slow file read. */
const FIXTURE_TIMEOUT_MS = 5000;

export interface BuildInput {
  id: string;
  kind: AdapterKind;
  /** The full config (sealed parts opened), as stored: validated again here. */
  config: unknown;
  evidenceTypes: string[];
  /** An admin registered the adapter's host beyond the department's grant (connections allow it). */
  beyondGrants?: boolean;
}

/** The limits a kind's config asks for, with defaults. */
export function resilienceFor(kind: AdapterKind, config: object): ResilienceOptions {
  const c = config as Record<string, unknown>;
  const breaker = (c.circuitBreaker as CircuitBreakerConfig | undefined) ?? DEFAULT_BREAKER;
  switch (kind) {
    case "http":
      return { timeoutMs: c.timeoutMs as number, maxConcurrent: (c.maxConcurrent as number | undefined) ?? 16, breaker };
    case "sql":
      // More lookups than pooled connections would only queue inside postgres.js, unbounded.
      return { timeoutMs: c.timeoutMs as number, maxConcurrent: (c.maxConcurrent as number | undefined) ?? (c.poolMax as number), breaker };
    case "fixture":
      return { timeoutMs: FIXTURE_TIMEOUT_MS, maxConcurrent: 256, breaker, retry: false };
  }
}

/**
 * Builds the bare source for a stored adapter (no resilience) and returns it with the limits
 * its config asks for. Throws if the stored config no longer validates (registration prevents it).
 * @example
 * const { source, limits } = buildSource({ id, kind: "sql", config, evidenceTypes }, ctx);
 */
export function buildSource(input: BuildInput, ctx: AdapterContext): { source: EvidenceSource; limits: ResilienceOptions } {
  switch (input.kind) {
    case "http": {
      const config = httpConfigSchema.parse(input.config);
      return { source: createHttpSource(input.id, config, ctx), limits: resilienceFor("http", config) };
    }
    case "fixture": {
      const config = fixtureConfigSchema.parse(input.config);
      return { source: createFixtureSource(input.id, config, ctx, input.evidenceTypes), limits: resilienceFor("fixture", {}) };
    }
    case "sql": {
      const config = sqlConfigSchema.parse(input.config);
      return { source: createSqlSource(input.id, config, ctx, input.evidenceTypes), limits: resilienceFor("sql", config) };
    }
  }
}

/**
 * The source as lookups see it: built and wrapped in deadline, limit, breaker and retry.
 * @example
 * const source = buildResilientSource({ id, kind, config, evidenceTypes }, ctx, stats);
 * await source.lookup(request); // never longer than the adapter's timeoutMs
 */
export function buildResilientSource(input: BuildInput, ctx: AdapterContext, stats?: LookupStats): ResilientSource {
  const { source, limits } = buildSource(input, ctx);
  return withResilience(source, limits, stats);
}

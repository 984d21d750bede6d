/**
 * Config fields every remote adapter kind (http, sql) shares: how much of the gateway one
 * department may hold (`maxConcurrent`), when to stop asking it (`circuitBreaker`), and the test
 * subject the conformance check looks up (`probe`). The resilience itself lives in
 * src/sources/resilience.ts; adapters only declare these settings.
 */
import { z } from "zod";
import { SUBJECT_TYPES } from "../catalog/subject.ts";

export const circuitBreakerSchema = z
  .object({
    /** Consecutive failed lookups that open the circuit. */
    failureThreshold: z.number().int().min(1).max(1000).default(5),
    /** How long an open circuit answers `unavailable` at once before one probe lookup is let through. */
    coolDownMs: z.number().int().min(100).max(3_600_000).default(30_000),
  })
  .strict();
export type CircuitBreakerConfig = z.infer<typeof circuitBreakerSchema>;

/**
 * The conformance check's test subject. It is sealed like other secrets: even a department's
 * test record may be a real person, and the gateway's database holds no raw person ids.
 */
export const probeSchema = z
  .object({
    subject: z.object({ type: z.enum(SUBJECT_TYPES), id: z.string().min(1).max(64) }).strict(),
    name: z.string().min(1).max(200).optional(),
    /** Which of the adapter's evidence types to probe; default: the first. */
    evidenceType: z.string().min(1).max(64).optional(),
    /** What the department must answer for the probe; default `found` (a test record exists). */
    expect: z.enum(["found", "not_found", "any"]).default("found"),
  })
  .strict();
export type ProbeConfig = z.infer<typeof probeSchema>;

/** Fields to spread into a remote kind's config schema. */
export const remoteLimitsShape = {
  /** Lookups in flight at this department from one gateway process; more wait (bounded) or fail fast. */
  maxConcurrent: z.number().int().min(1).max(256).optional(),
  circuitBreaker: circuitBreakerSchema.optional(),
  probe: probeSchema.optional(),
};

/** Defaults when a config says nothing (kept out of the stored config so they can be tuned later). */
export const DEFAULT_BREAKER: CircuitBreakerConfig = { failureThreshold: 5, coolDownMs: 30_000 };

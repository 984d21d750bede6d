/**
 * The `sql` adapter's config: where the department's front database (前置库) is, the one
 * parameterised SELECT over its view, and how the view's columns become an answer. Validated
 * when the adapter is registered, so a typo is a 422 then and not an `unavailable` at a window.
 *
 * Nothing here ever lets request data into SQL text: the query comes only from this config,
 * and the subject reaches it only as bind parameters ($1, $2, …) named in `params`.
 */
import { z } from "zod";
import { claimFieldNames, type EvidenceTypeDef } from "../catalog/evidence-types.ts";
import type { CertStatus } from "./types.ts";
import { remoteLimitsShape } from "./limits.ts";

/** What a bind parameter may carry; `$n` is `params[n-1]`. */
export const SQL_PARAMS = ["subject.id", "subject.type", "subject.name", "evidenceType"] as const;
export type SqlParam = (typeof SQL_PARAMS)[number];

const CERT_STATUSES = ["valid", "revoked", "expired", "suspended"] as const satisfies readonly CertStatus[];
const SSL_MODES = ["disable", "prefer", "require", "verify-full"] as const;

export interface ConnectionTarget {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  ssl: false | "prefer" | "require" | "verify-full";
}

/**
 * Splits a `postgres://user:password@host:port/database?sslmode=…` URL into explicit options.
 * postgres.js falls back to the gateway's own PG* environment (PGPASSWORD!) for anything a URL
 * leaves out, so the adapter always passes every part itself and this refuses URLs that would
 * need a fallback. Returns the problem as a string; messages never contain the URL.
 * @example parseConnectionString("postgres://reader:pw@10.1.2.3/front").database // "front"
 */
export function parseConnectionString(value: string): ConnectionTarget | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "connectionString must be a postgres:// URL";
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") return "connectionString must be a postgres:// URL";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!host || host.includes("/") || host.includes(",")) return "connectionString must name one host (no sockets, no host lists)";
  if (!url.username) return "connectionString must name the database user (a read-only role)";
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!database || database.includes("/")) return "connectionString must name the database";
  let ssl: ConnectionTarget["ssl"] = "prefer";
  for (const [key, v] of url.searchParams) {
    // Other parameters would become session settings (e.g. default_transaction_read_only=off).
    if (key !== "sslmode") return `connectionString parameter "${key}" is not allowed (only sslmode)`;
    if (!(SSL_MODES as readonly string[]).includes(v)) return `sslmode must be one of ${SSL_MODES.join(", ")}`;
    ssl = v === "disable" ? false : (v as ConnectionTarget["ssl"]);
  }
  return {
    host,
    port: url.port ? Number(url.port) : 5432,
    database,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ssl,
  };
}

/** Leading blanks and SQL comments, so `-- the dibao view\nselect …` is still a SELECT. */
const LEADING_NOISE = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

/**
 * Why `query` is not acceptable, or undefined. Defence in depth only: the real guarantees are
 * the read-only transaction and the bind parameters. `;` is refused anywhere (even in a string
 * literal) because one statement is all a lookup needs.
 */
export function queryProblem(query: string, paramCount: number): string | undefined {
  const body = query.replace(LEADING_NOISE, "");
  if (!/^(select|with)\b/i.test(body)) return "query must be a single SELECT (or WITH … SELECT) statement";
  if (query.includes(";")) return "query must be a single statement (no ';')";
  const used = new Set([...query.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  for (const n of used) if (n < 1 || n > paramCount) return `query uses $${n} but params names ${paramCount} parameter(s)`;
  for (let n = 1; n <= paramCount; n++) if (!used.has(n)) return `params[${n - 1}] is never used ($${n} is not in the query)`;
  return undefined;
}

/** A column of the view's result. Only ever used as a key into result rows, never in SQL text. */
const column = z.string().min(1).max(63);

export const sqlConfigSchema = z
  .object({
    connectionString: z
      .string()
      .max(2048)
      .superRefine((value, ctx) => {
        const parsed = parseConnectionString(value);
        if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
      }),
    /** Trailing `;` and blanks are dropped: people paste queries from psql. */
    query: z
      .string()
      .min(1)
      .max(8000)
      .transform((q) => q.trim().replace(/;\s*$/, "").trimEnd()),
    params: z.array(z.enum(SQL_PARAMS)).min(1).max(4),
    /** Columns holding the parts of an answer; a returned row means "found". */
    columns: z
      .object({
        /** Absent: every row is a valid certificate (still expired once `validUntil` has passed). */
        status: column.optional(),
        certificateId: column.optional(),
        validUntil: column.optional(),
        /** The holder's name, compared with the name a window sent. */
        name: column.optional(),
        /** Or a boolean the view computes itself (with `subject.name` as a parameter). */
        nameMatches: column.optional(),
      })
      .strict()
      .default({}),
    /** Department status codes → §4 statuses, e.g. `{ "1": "valid", "注销": "revoked" }`; default: the four names. */
    statusValues: z.record(z.string().min(1).max(64), z.enum(CERT_STATUSES)).optional(),
    /** Claim name → column. Checked against the evidence types' claims when registered. */
    claims: z.record(z.string().min(1).max(64), column).default({}),
    /** Whole lookup, including connecting and waiting for a pooled connection. */
    timeoutMs: z.number().int().min(100).max(30_000).default(3000),
    /** Server-side `statement_timeout`, so the front database stops work nobody waits for. Default: timeoutMs. */
    statementTimeoutMs: z.number().int().min(50).max(30_000).optional(),
    /** Connections per adapter per gateway process. */
    poolMax: z.number().int().min(1).max(10).default(2),
    ...remoteLimitsShape,
  })
  .strict()
  .superRefine((config, ctx) => {
    const problem = queryProblem(config.query, config.params.length);
    if (problem) ctx.addIssue({ code: "custom", path: ["query"], message: problem });
    if (config.statementTimeoutMs !== undefined && config.statementTimeoutMs > config.timeoutMs) {
      ctx.addIssue({ code: "custom", path: ["statementTimeoutMs"], message: "statementTimeoutMs must not exceed timeoutMs" });
    }
    if (config.columns.nameMatches && !config.params.includes("subject.name")) {
      ctx.addIssue({ code: "custom", path: ["columns", "nameMatches"], message: "a nameMatches column needs subject.name among params" });
    }
  });
export type SqlSourceConfig = z.infer<typeof sqlConfigSchema>;

/**
 * Checks the claim mapping against the adapter's evidence types: every mapped claim must be a
 * claim of at least one of them, and one query serving several types must be told which
 * (`evidenceType` among params). Returns `{ path, message }` issues relative to the config.
 * @example sqlMappingIssues(config, [subsistenceAllowance]) // [] or [{ path: "claims.housholdSize", … }]
 */
export function sqlMappingIssues(config: SqlSourceConfig, defs: readonly EvidenceTypeDef[]): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const known = new Set(defs.flatMap((d) => claimFieldNames(d)));
  for (const claim of Object.keys(config.claims)) {
    if (!known.has(claim)) {
      issues.push({ path: `claims.${claim}`, message: `"${claim}" is not a claim of ${defs.map((d) => d.type).join(" or ")}` });
    }
  }
  if (defs.length > 1 && !config.params.includes("evidenceType")) {
    issues.push({ path: "params", message: "an sql adapter for several evidence types must pass evidenceType as a parameter" });
  }
  return issues;
}

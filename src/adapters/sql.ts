/**
 * The `sql` adapter: a department that cannot run an online service fills a view in its front
 * database (前置库) and the gateway reads it with postgres.js — one parameterised SELECT, in a
 * read-only transaction, under a statement timeout, through a small pool of its own.
 *
 * Like the http adapter it never throws: a failing front database makes the item `unavailable`.
 * `detail` strings are logged, so they carry SQLSTATE codes and column names, never server
 * messages (PostgreSQL quotes offending values in them, and the value may be a person's id).
 */
import { connect as netConnect, type Socket } from "node:net";
import postgres from "postgres";
import { isReachError } from "../reach/guard.ts";
import { formatIp } from "../reach/ip.ts";
import type { AdapterContext, CertStatus, EvidenceSource, LookupRequest, LookupResult, PingResult, UnavailableCode } from "./types.ts";
import { parseConnectionString, type ConnectionTarget, type SqlParam, type SqlSourceConfig } from "./sql-config.ts";
import { isPast, normaliseName } from "./fixture.ts";

export { sqlConfigSchema, sqlMappingIssues, type SqlSourceConfig } from "./sql-config.ts";

export interface SqlSourceOptions {
  /** Clock for `validUntil`; injected so tests can stand on either side of an expiry. */
  now?: () => Date;
}

const CERT_STATUSES: readonly string[] = ["valid", "revoked", "expired", "suspended"];

type Sql = ReturnType<typeof postgres>;

const unavailable = (error: UnavailableCode, detail: string): LookupResult => ({ outcome: "unavailable", error, detail });

/** Connection-level failures (postgres.js codes and socket errors): the database was not reached. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED"]);

/** SQLSTATEs worth naming for the department; the rest are reported by code alone. */
const SQLSTATE_NAMES: Record<string, string> = {
  "28P01": "password authentication failed",
  "28000": "role may not log in",
  "3D000": "database does not exist",
  "42P01": "relation does not exist",
  "42703": "column does not exist",
  "42501": "permission denied",
  "42601": "syntax error",
  "25006": "write attempted in a read-only transaction",
  "22P02": "a parameter does not fit its column's type",
  "53300": "too many connections",
  "57P03": "database is starting up",
};

/** Maps whatever postgres.js threw to an `unavailable` with a person-free detail. */
function fromError(err: unknown, aborted: boolean): LookupResult {
  if (isReachError(err)) return unavailable("host-not-granted", "the front database's address may not be reached");
  if (aborted) return unavailable("timeout", "lookup aborted at its deadline");
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "57014") return unavailable("timeout", "statement timeout (SQLSTATE 57014)");
  if (code === "CONNECT_TIMEOUT") return unavailable("timeout", "no connection to the front database within the timeout");
  if (typeof code === "string" && NETWORK_CODES.has(code)) return unavailable("network", `front database connection failed (${code})`);
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    const name = SQLSTATE_NAMES[code];
    return unavailable("adapter-error", `front database refused the query (SQLSTATE ${code}${name ? `: ${name}` : ""})`);
  }
  return unavailable("adapter-error", `front database query failed (${err instanceof Error ? err.name : "error"})`);
}

function paramValue(param: SqlParam, request: LookupRequest): string | null {
  switch (param) {
    case "subject.id":
      return request.subject.id;
    case "subject.type":
      return request.subject.type;
    case "subject.name":
      return request.subject.name ?? null;
    case "evidenceType":
      return request.evidenceType;
  }
}

/** Claims are JSON: dates become ISO strings, binary values are refused by the caller. */
function jsonValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * Value parsers for the front database: `date` stays `YYYY-MM-DD` text (what claims hold, with
 * no time zone shift), numeric and bigint become numbers when they fit (amounts, counts).
 */
const TYPES = {
  isoDate: { to: 1082, from: [1082], serialize: (x: unknown) => String(x), parse: (x: string) => x },
  numeric: {
    to: 1700,
    from: [1700, 20],
    serialize: (x: unknown) => String(x),
    parse: (x: string) => {
      const n = Number(x);
      return Number.isFinite(n) && (x.includes(".") || Number.isSafeInteger(n)) ? n : x;
    },
  },
};

type ConnectCheck = NonNullable<AdapterContext["connectCheck"]>;

/**
 * postgres.js's socket factory: every new connection first resolves and checks the host (the
 * reach guard), then connects to the checked address, so DNS cannot send it elsewhere between
 * the check and the connect. TLS still verifies the certificate against the host name.
 */
function guardedSocket(target: ConnectionTarget, check: ConnectCheck) {
  return async (): Promise<Socket> => {
    const [address] = await check({ host: target.host, port: target.port, database: target.database });
    const socket = netConnect({ host: formatIp(address!), port: target.port });
    // postgres.js names the TLS server (SNI, certificate check) after `socket.host`.
    (socket as Socket & { host?: string }).host = target.host;
    return socket;
  };
}

function connect(id: string, target: ConnectionTarget, config: SqlSourceConfig, statementTimeoutMs: number, check?: ConnectCheck): Sql {
  return postgres({
    ...(check ? { socket: guardedSocket(target, check) } : {}),
    // Every part explicitly: postgres.js would otherwise fill gaps from the gateway's PG* env.
    host: target.host,
    port: target.port,
    database: target.database,
    username: target.username,
    // A function, because an empty string would let postgres.js fall back to PGPASSWORD.
    password: () => target.password,
    ssl: target.ssl,
    max: config.poolMax,
    idle_timeout: 60,
    max_lifetime: 30 * 60,
    connect_timeout: config.timeoutMs / 1000,
    keep_alive: 30,
    prepare: false,
    fetch_types: true,
    debug: false,
    onnotice: () => {},
    types: TYPES,
    connection: {
      application_name: `huren:${id}`.slice(0, 63),
      DateStyle: "ISO, YMD",
      // Session-wide too, so even the type fetch at connect and an abandoned transaction are bounded.
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(1000, config.timeoutMs * 2),
      default_transaction_read_only: true,
    },
  } as postgres.Options<Record<string, postgres.PostgresType>>);
}

type Row = Record<string, unknown>;

/** Turns the view's rows into a §4 answer, or says which part of the mapping did not fit. */
function toResult(rows: Row[], columns: readonly { name: string }[], config: SqlSourceConfig, request: LookupRequest, now: Date): LookupResult {
  const present = new Set(columns.map((c) => c.name));
  const mapped = [...Object.values(config.columns), ...Object.values(config.claims)];
  const missing = mapped.filter((c) => c !== undefined && !present.has(c));
  if (missing.length) return unavailable("malformed-answer", `the view's result has no column ${[...new Set(missing)].map((c) => `"${c}"`).join(", ")}`);
  if (rows.length === 0) return { outcome: "not_found" };
  // Two rows for one subject is a view that cannot say which certificate counts.
  if (rows.length > 1) return unavailable("malformed-answer", "the view returned more than one row for the subject");
  const row = rows[0]!;
  const { columns: col } = config;

  let status: CertStatus = "valid";
  if (col.status) {
    const raw = row[col.status];
    const key = raw === null || raw === undefined ? "" : String(raw);
    const mappedStatus = config.statusValues ? config.statusValues[key] : CERT_STATUSES.includes(key) ? (key as CertStatus) : undefined;
    if (!mappedStatus) return unavailable("malformed-answer", `column "${col.status}" holds a status value the adapter does not map`);
    status = mappedStatus;
  }
  const validUntilRaw = col.validUntil ? jsonValue(row[col.validUntil]) : undefined;
  const validUntil = typeof validUntilRaw === "string" ? validUntilRaw : undefined;
  if (validUntilRaw !== undefined && validUntilRaw !== null && validUntil === undefined) {
    return unavailable("malformed-answer", `column "${col.validUntil}" is not a date`);
  }
  // A record the department forgot to flip is still expired once its date has passed.
  if (status === "valid" && validUntil !== undefined && isPast(validUntil, now)) status = "expired";

  const claims: Record<string, unknown> = {};
  for (const [claim, column] of Object.entries(config.claims)) {
    const value = jsonValue(row[column]);
    if (value === null || value === undefined) continue; // NULL: not disclosed, like an absent claim
    if (value instanceof Uint8Array) return unavailable("malformed-answer", `column "${column}" is binary`);
    claims[claim] = value;
  }

  let nameMatches: boolean | undefined;
  if (request.subject.name !== undefined) {
    if (col.nameMatches) {
      const v = row[col.nameMatches];
      nameMatches = v === null || v === undefined ? undefined : v === true || v === "t" || v === "true";
    } else if (col.name) {
      const v = row[col.name];
      nameMatches = typeof v === "string" ? normaliseName(v) === normaliseName(request.subject.name) : undefined;
    }
  }
  const certificateId = col.certificateId ? row[col.certificateId] : undefined;
  return {
    outcome: "found",
    status,
    certificateId: certificateId === null || certificateId === undefined ? undefined : String(certificateId),
    claims,
    validUntil,
    nameMatches,
  };
}

/**
 * Creates a source over a department's front database. Building it does no I/O; the pool
 * connects on the first lookup. `close()` ends the pool.
 * @example
 * const source = createSqlSource("cc-civil-affairs-sql", sqlConfigSchema.parse({
 *   connectionString: "postgres://huren_reader:…@10.1.2.3/front",
 *   query: "select status, valid_until, household_size from dibao_view where id_no = $1",
 *   params: ["subject.id"], columns: { status: "status", validUntil: "valid_until" },
 *   claims: { householdSize: "household_size" } }), ctx, ["subsistence-allowance.certificate"]);
 */
export function createSqlSource(
  id: string,
  config: SqlSourceConfig,
  ctx: AdapterContext | undefined,
  _evidenceTypes: readonly string[],
  options: SqlSourceOptions = {},
): EvidenceSource {
  const now = options.now ?? (() => new Date());
  const target = parseConnectionString(config.connectionString);
  if (typeof target === "string") throw new Error(`invalid sql adapter config: ${target}`);
  const statementTimeoutMs = config.statementTimeoutMs ?? config.timeoutMs;
  // The view's query is wrapped, never concatenated with anything from a request: the subquery
  // refuses a second statement and data-modifying WITH clauses, and `limit 2` bounds the rows.
  const wrapped = `select * from (\n${config.query}\n) as huren_view limit 2`;
  const check = ctx?.connectCheck;
  let client = connect(id, target, config, statementTimeoutMs, check);

  /**
   * A connection stuck on a dead network answers no cancel; past the deadline the whole pool is
   * replaced, which fails what it still holds and frees the adapter's concurrency slots.
   */
  const recycle = (stuck: Sql) => {
    if (client !== stuck) return;
    client = connect(id, target, config, statementTimeoutMs, check);
    void stuck.end({ timeout: 0 }).catch(() => {});
  };

  /** Runs `fn` in a read-only transaction that `signal` can cancel. */
  async function readOnly<T>(signal: AbortSignal | undefined, fn: (tx: postgres.TransactionSql, track: (q: postgres.PendingQuery<Row[]>) => void) => Promise<T>): Promise<T> {
    const sql = client;
    let running: postgres.PendingQuery<Row[]> | undefined;
    let stuckTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      void running?.cancel();
      stuckTimer = setTimeout(() => recycle(sql), 2000);
      stuckTimer.unref?.();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return (await sql.begin("read only", async (tx) => {
        await tx.unsafe("select set_config('statement_timeout', $1, true)", [String(statementTimeoutMs)]);
        if (signal?.aborted) throw new Error("aborted");
        return fn(tx, (q) => (running = q));
      })) as T;
    } finally {
      clearTimeout(stuckTimer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  return {
    id,
    kind: "sql",
    async lookup(request, signal) {
      if (signal?.aborted) return unavailable("timeout", "lookup aborted before it started");
      const params = config.params.map((p) => paramValue(p, request));
      try {
        const result = await readOnly(signal, async (tx, track) => {
          const q = tx.unsafe<Row[]>(wrapped, params as postgres.ParameterOrJSON<never>[], { prepare: false });
          track(q);
          return q;
        });
        return toResult([...result], result.columns ?? [], config, request, now());
      } catch (err) {
        return fromError(err, signal?.aborted ?? false);
      }
    },
    async ping(signal): Promise<PingResult> {
      try {
        const [row] = await readOnly(signal, (tx) => tx.unsafe<Row[]>("select current_setting('transaction_read_only') as ro, current_setting('server_version') as v"));
        return { ok: true, detail: `PostgreSQL ${String(row?.v)}, read-only transaction ${row?.ro === "on" ? "on" : "OFF"}` };
      } catch (err) {
        const r = fromError(err, signal?.aborted ?? false) as Extract<LookupResult, { outcome: "unavailable" }>;
        return { ok: false, error: r.error, detail: r.detail };
      }
    },
    async close() {
      await client.end({ timeout: 2 });
    },
  };
}

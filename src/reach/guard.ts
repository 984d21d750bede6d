/**
 * The one gate every adapter connection passes (PROTOCOL §4): resolve the host, and refuse it
 * unless every address is allowed — never a link-local or metadata address, never the gateway's
 * own database, and, unless an admin registered the adapter beyond the grant, only what the
 * department's `grants.hosts` covers. Run at registration and again at every connection (the
 * http client's `connect.lookup`, the sql adapter's socket factory), so a name that resolved to a
 * granted address when it was registered cannot later be pointed elsewhere (DNS rebinding): the
 * connection goes to the very address that was checked.
 *
 * No node: imports, so the route that registers adapters runs on Workers too; the system resolver
 * is handed in by the Node entry (./system-lookup.ts). Without one (Workers), only IP literals and
 * hosts granted by name can be judged.
 */
import { formatIp, parseIp, type Ip } from "./ip.ts";
import { grantCovers, neverReachable, normaliseHost, type HostGrant } from "./hosts.ts";

/** Every address a host name resolves to, as `dns.lookup(host, { all: true })` answers. */
export type LookupAll = (host: string) => Promise<{ address: string; family: number }[]>;

/** Where the gateway's own database is (DATABASE_URL): no adapter may point there. */
export interface OwnDatabase {
  host: string;
  port: number;
  database: string;
}

export interface ReachSettings {
  /** The resolver (tests inject one that changes its answers); absent on Workers. */
  lookup?: LookupAll | undefined;
  ownDatabase?: OwnDatabase | undefined;
  /** A name that does not resolve within this fails. Default 5 s. */
  lookupTimeoutMs?: number;
}

/** Why a host was refused; only ever shown to operators (logs), never to a department. */
export type ReachReason = "not-granted" | "never-reachable" | "own-database" | "unresolved";

/** The code the refusal carries through socket layers (undici, postgres.js), like a Node error code. */
export const REACH_ERROR_CODE = "HUREN_HOST_NOT_GRANTED";

export class ReachError extends Error {
  readonly code = REACH_ERROR_CODE;
  constructor(
    readonly reason: ReachReason,
    readonly host: string,
  ) {
    super(`host may not be reached (${reason})`);
    this.name = "ReachError";
  }
}

/** Whether `err`, or anything in its `cause` chain, is a refusal by the guard. */
export function isReachError(err: unknown): err is { code: string; reason?: ReachReason } {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === REACH_ERROR_CODE) return true;
  }
  return false;
}

/** What a target must satisfy besides the never-reachable set. */
export interface ReachRule {
  /** The department's host grant; undefined when an admin registered the adapter beyond it. */
  grant: HostGrant | undefined;
}

export interface ReachTarget {
  host: string;
  port: number;
  /** For database targets: the database name (the own-database check needs all three). */
  database?: string;
}

const isLoopback = (ip: Ip) => (ip.version === 4 ? ip.bytes[0] === 127 : ip.bytes.every((b, i) => b === (i === 15 ? 1 : 0)));

export class Reach {
  private ownAddresses: Promise<Ip[]> | undefined;

  constructor(private readonly settings: ReachSettings = {}) {}

  /** Whether names can be resolved here (not on Workers). */
  get resolves(): boolean {
    return this.settings.lookup !== undefined;
  }

  /** The addresses `host` stands for: itself if a literal, else what the resolver answers. */
  async addresses(host: string): Promise<Ip[]> {
    const literal = parseIp(host);
    if (literal) return [literal];
    const lookup = this.settings.lookup;
    if (!lookup) return [];
    const timeoutMs = this.settings.lookupTimeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answers = await Promise.race([
      lookup(normaliseHost(host)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`no DNS answer within ${timeoutMs} ms`), { code: "ETIMEOUT" })), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return answers.map((a) => parseIp(a.address)).filter((ip): ip is Ip => ip !== undefined);
  }

  private async ownDatabaseHit(target: ReachTarget, addresses: readonly Ip[]): Promise<boolean> {
    const own = this.settings.ownDatabase;
    if (!own || target.database === undefined) return false;
    if (target.port !== own.port || target.database !== own.database) return false;
    if (normaliseHost(target.host) === normaliseHost(own.host)) return true;
    this.ownAddresses ??= this.addresses(own.host).catch(() => []);
    const mine = await this.ownAddresses;
    const key = (ip: Ip) => formatIp(ip);
    const mineKeys = new Set(mine.map(key));
    // Loopback is one machine whichever loopback address (or `localhost`) names it.
    const ownHost = normaliseHost(own.host);
    const ownLoopback = ownHost === "localhost" || ownHost.endsWith(".localhost") || mine.some(isLoopback);
    return addresses.some((ip) => mineKeys.has(key(ip)) || (isLoopback(ip) && ownLoopback));
  }

  /**
   * Resolves `target.host` and returns the addresses it may be reached at, or throws ReachError.
   * At registration (`phase: "register"`) a name that does not resolve is accepted only where
   * the grant names it (or an admin goes beyond the grant): it is checked again at connection.
   * @example
   * const [ip] = await reach.check({ host: "dibao.civil.cc.gov.cn", port: 443 }, { grant }, "connect");
   */
  async check(target: ReachTarget, rule: ReachRule, phase: "register" | "connect"): Promise<Ip[]> {
    let addresses: Ip[];
    try {
      addresses = await this.addresses(target.host);
    } catch (err) {
      if (phase === "connect") throw err; // the name does not resolve: a network failure, not a refusal
      addresses = [];
    }
    for (const ip of addresses) if (neverReachable(ip)) throw new ReachError("never-reachable", target.host);
    if (await this.ownDatabaseHit(target, addresses)) throw new ReachError("own-database", target.host);
    if (rule.grant) {
      const byName = rule.grant.names.has(normaliseHost(target.host));
      if (!byName && addresses.length === 0) throw new ReachError("unresolved", target.host);
      if (!grantCovers(rule.grant, target.host, addresses)) throw new ReachError("not-granted", target.host);
    }
    // Workers resolve nothing here (fetch does): there the name's grant is all that can be judged.
    if (phase === "connect" && addresses.length === 0 && this.resolves) throw new ReachError("unresolved", target.host);
    return addresses;
  }
}

/** A `net.connect`-style lookup callback (Node's signature, without importing its types). */
export type NetLookup = (
  hostname: string,
  options: { family?: number | string; all?: boolean } | number,
  callback: (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void,
) => void;

/**
 * A `lookup` for `net.connect` (and undici's `connect` options) that answers only addresses
 * `check` allowed, so the socket connects to exactly what was checked.
 * @example
 * new Agent({ connect: { lookup: netLookup((host) => reach.check({ host, port }, rule, "connect")) } })
 */
export function netLookup(check: (host: string) => Promise<Ip[]>): NetLookup {
  return (hostname, options, callback) => {
    const opts = typeof options === "number" ? { family: options } : options;
    const family = opts.family === "IPv4" ? 4 : opts.family === "IPv6" ? 6 : Number(opts.family ?? 0);
    check(hostname).then(
      (addresses) => {
        const fit = addresses.filter((ip) => family === 0 || ip.version === family).map((ip) => ({ address: formatIp(ip), family: ip.version }));
        if (fit.length === 0) {
          callback(Object.assign(new Error(`no allowed address for the host`), { code: "ENOTFOUND" }), opts.all ? [] : "", undefined);
          return;
        }
        if (opts.all) callback(null, fit);
        else callback(null, fit[0]!.address, fit[0]!.family);
      },
      (err: Error) => callback(err, opts.all ? [] : "", undefined),
    );
  };
}

/**
 * What an adapter may reach (PROTOCOL §4): a department's `grants.hosts` (host names, IP
 * addresses, CIDR ranges) and, for everyone, admins included, never the link-local and metadata
 * addresses below. Pure: resolving names and connecting live in ./guard.ts.
 */
import { z } from "zod";
import { cidrContains, embeddedV4, parseCidr, parseIp, type Cidr, type Ip } from "./ip.ts";

/**
 * Never reachable, whoever registers the adapter: link-local (cloud metadata services live
 * there: 169.254.169.254, Tencent's 169.254.0.23), the metadata addresses outside it (Alibaba
 * Cloud's 100.100.100.200, Azure's wire server, AWS's IPv6 endpoint), "this host" and
 * unspecified addresses (connecting to 0.0.0.0 reaches the gateway's own machine), multicast
 * and broadcast. Loopback and private ranges are not here: a department on the same network is
 * normal, and the grant decides.
 */
export const NEVER_REACHABLE: readonly string[] = [
  "169.254.0.0/16",
  "fe80::/10",
  "100.100.100.200/32",
  "168.63.129.16/32",
  "fd00:ec2::254/128",
  "0.0.0.0/8",
  "::/128",
  "224.0.0.0/4",
  "255.255.255.255/32",
  "ff00::/8",
];
const NEVER: readonly Cidr[] = NEVER_REACHABLE.map((c) => parseCidr(c)!);

/** Whether `ip` is in {@link NEVER_REACHABLE} (judged after unwrapping IPv4-in-IPv6). */
export function neverReachable(ip: Ip): boolean {
  const v4 = embeddedV4(ip);
  return NEVER.some((range) => cidrContains(range, v4) || cidrContains(range, ip));
}

/** A host name as DNS writes it, lower case, no trailing dot, no wildcard. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Lower case, without a trailing dot or IPv6 brackets: how hosts are compared. */
export const normaliseHost = (host: string): string => host.toLowerCase().replace(/\.$/, "").replace(/^\[(.*)\]$/, "$1");

/**
 * One entry of `grants.hosts`: a host name (exact, no wildcard: `*.gov.cn` would grant every
 * government host), an IP address, or a CIDR range.
 */
export const grantHostSchema = z
  .string()
  .min(1)
  .max(253)
  .superRefine((value, ctx) => {
    if (value.includes("*")) {
      ctx.addIssue({ code: "custom", message: "wildcards are not allowed: grant each host name, or a CIDR range" });
      return;
    }
    if (value !== value.toLowerCase()) {
      ctx.addIssue({ code: "custom", message: "host names are written in lower case" });
      return;
    }
    const looksNumeric = value.includes("/") || value.includes(":") || /^[\d.]+$/.test(value);
    if (looksNumeric ? !parseCidr(value) : !HOST_NAME.test(value)) {
      ctx.addIssue({ code: "custom", message: looksNumeric ? "not an IP address or CIDR range with its host bits zero (e.g. 10.12.0.0/16)" : "not a host name" });
      return;
    }
    const cidr = looksNumeric ? parseCidr(value)! : undefined;
    if (cidr && neverReachable({ version: cidr.version, bytes: cidr.bytes })) {
      ctx.addIssue({ code: "custom", message: "link-local and metadata addresses are never reachable and cannot be granted" });
    }
  });

/** A department's hosts grant, compiled for matching. */
export interface HostGrant {
  names: ReadonlySet<string>;
  ranges: readonly Cidr[];
}

/** @example compileHostGrant(["dibao.civil.cc.gov.cn", "10.12.0.0/16"]) */
export function compileHostGrant(hosts: readonly string[]): HostGrant {
  const names = new Set<string>();
  const ranges: Cidr[] = [];
  for (const h of hosts) {
    const cidr = parseCidr(h);
    if (cidr) ranges.push(cidr);
    else names.add(normaliseHost(h));
  }
  return { names, ranges };
}

/**
 * Whether the grant covers a host and the addresses it resolved to. A granted host name covers
 * whatever its DNS answers (the department runs that name; grant a CIDR range instead where its
 * DNS is not trusted); otherwise every address must fall in a granted range.
 */
export function grantCovers(grant: HostGrant, host: string, addresses: readonly Ip[]): boolean {
  if (grant.names.has(normaliseHost(host))) return true;
  return addresses.length > 0 && addresses.every((ip) => grant.ranges.some((r) => cidrContains(r, ip)));
}

export { parseIp };

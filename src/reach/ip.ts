/**
 * IP addresses and CIDR ranges as bytes, without node:net, so the same checks run on Node and
 * Workers. IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96)
 * IPv6 addresses are judged as the IPv4 address inside them: `::ffff:169.254.169.254` is as
 * link-local as `169.254.169.254`.
 */

export interface Ip {
  version: 4 | 6;
  bytes: Uint8Array;
}

export interface Cidr {
  version: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, p] of parts.entries()) {
    // Decimal only, no leading zeros: `010.0.0.1` is octal to some resolvers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

function parseV6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  let tail: Uint8Array | undefined;
  let rest = text;
  // An IPv4 tail (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = rest.lastIndexOf(":");
  if (rest.slice(lastColon + 1).includes(".")) {
    tail = parseV4(rest.slice(lastColon + 1));
    if (!tail) return undefined;
    rest = `${rest.slice(0, lastColon + 1)}0:0`;
  }
  const halves = rest.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const back = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - back.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...back];
  const bytes = new Uint8Array(16);
  for (const [i, g] of all.entries()) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  if (tail) bytes.set(tail, 12);
  return bytes;
}

/**
 * Parses an IP literal (IPv6 may be bracketed, no zone ids). Returns undefined for anything else.
 * @example parseIp("::ffff:10.0.0.1") // { version: 6, bytes: … }
 */
export function parseIp(text: string): Ip | undefined {
  const t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v4 = parseV4(t);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = t.includes(":") ? parseV6(t) : undefined;
  return v6 ? { version: 6, bytes: v6 } : undefined;
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[]) => prefix.every((b, i) => bytes[i] === b);

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64), or the address itself. */
export function embeddedV4(ip: Ip): Ip {
  if (ip.version === 4) return ip;
  const b = ip.bytes;
  const mapped = startsWith(b, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
  // ::a.b.c.d (deprecated "compatible"), but not :: and ::1, which are IPv6's own.
  const compatible = startsWith(b, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) && (b[12]! | b[13]!) !== 0;
  const nat64 = startsWith(b, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]);
  return mapped || compatible || nat64 ? { version: 4, bytes: b.slice(12) } : ip;
}

/**
 * Parses `a.b.c.d/n`, `v6/n`, or a bare address (a /32 or /128). Host bits must be zero, so a
 * grant reads as what it covers.
 * @example parseCidr("10.12.0.0/16")?.prefix // 16
 */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len, ...more] = text.split("/");
  if (more.length || addr === undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const max = ip.version === 4 ? 32 : 128;
  if (len !== undefined && !/^(0|[1-9]\d{0,2})$/.test(len)) return undefined;
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) return undefined;
  for (let bit = prefix; bit < max; bit++) if (ip.bytes[bit >> 3]! & (0x80 >> (bit & 7))) return undefined;
  return { version: ip.version, bytes: ip.bytes, prefix };
}

/** Whether `cidr` covers `ip` (both judged after {@link embeddedV4}). */
export function cidrContains(cidr: Cidr, ip: Ip): boolean {
  const range = cidr.version === 6 && cidr.prefix >= 96 ? narrowV6(cidr) : cidr;
  const address = embeddedV4(ip);
  if (range.version !== address.version) return false;
  for (let bit = 0; bit < range.prefix; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((range.bytes[bit >> 3]! & mask) !== (address.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

/** `::ffff:10.0.0.0/104` is `10.0.0.0/8`: a range written in mapped form covers the IPv4 addresses. */
function narrowV6(cidr: Cidr): Cidr {
  const v4 = embeddedV4({ version: 6, bytes: cidr.bytes });
  return v4.version === 4 ? { version: 4, bytes: v4.bytes, prefix: cidr.prefix - 96 } : cidr;
}

/** The canonical text of an address (IPv4 dotted; IPv6 with `::` compression), for messages and keys. */
export function formatIp(ip: Ip): string {
  if (ip.version === 4) return [...ip.bytes].join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.len).join(":")}`;
}

/**
 * src/reach/: addresses, ranges, the never-reachable set and host grants, table-driven.
 */
import { describe, expect, it } from "vitest";
import { cidrContains, formatIp, parseCidr, parseIp } from "../src/reach/ip.ts";
import { compileHostGrant, grantCovers, grantHostSchema, neverReachable } from "../src/reach/hosts.ts";
import { Reach, ReachError } from "../src/reach/guard.ts";
import { ownDatabaseOf } from "../src/reach/own-database.ts";

const ip = (s: string) => parseIp(s)!;

describe("IP addresses", () => {
  it.each([
    ["10.0.0.1", "10.0.0.1"],
    ["::1", "::1"],
    ["[::1]", "::1"],
    ["fe80::1", "fe80::1"],
    ["::ffff:169.254.169.254", "::ffff:a9fe:a9fe"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["0:0:0:0:0:0:0:0", "::"],
  ])("%s parses and prints as %s", (text, printed) => expect(formatIp(ip(text))).toBe(printed));

  it.each(["010.0.0.1", "1.2.3", "256.1.1.1", "1.2.3.4.5", "::1::2", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "example.gov.cn", "", "0x7f.0.0.1"])("%j is not an address", (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it("ranges need zero host bits; IPv4-in-IPv6 is judged as IPv4", () => {
    expect(parseCidr("10.12.0.0/16")?.prefix).toBe(16);
    expect(parseCidr("10.12.0.1/16")).toBeUndefined();
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(cidrContains(parseCidr("10.0.0.0/8")!, ip("::ffff:10.1.2.3"))).toBe(true);
    expect(cidrContains(parseCidr("::ffff:10.0.0.0/104")!, ip("10.1.2.3"))).toBe(true);
    expect(cidrContains(parseCidr("10.0.0.0/8")!, ip("11.0.0.1"))).toBe(false);
    expect(cidrContains(parseCidr("fd00::/8")!, ip("fd12::5"))).toBe(true);
  });
});

describe("never reachable", () => {
  it.each(["169.254.169.254", "169.254.0.23", "fe80::1", "febf::1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "100.100.100.200", "168.63.129.16", "fd00:ec2::254", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255"])("%s", (text) => {
    expect(neverReachable(ip(text))).toBe(true);
  });
  it.each(["127.0.0.1", "::1", "10.1.2.3", "192.168.1.1", "100.100.100.201", "fec0::1", "8.8.8.8"])("not %s", (text) => {
    expect(neverReachable(ip(text))).toBe(false);
  });
});

describe("host grants", () => {
  it.each(["dibao.civil.cc.gov.cn", "localhost", "10.12.0.0/16", "10.1.2.3", "::1", "fd12::/16"])("%s may be granted", (host) => {
    expect(grantHostSchema.safeParse(host).success).toBe(true);
  });
  it.each(["*.gov.cn", "Dept.Example", "10.1.2.3/8", "169.254.0.0/16", "fe80::/10", "http://x", "a..b", "-x.example"])("%s may not", (host) => {
    expect(grantHostSchema.safeParse(host).success).toBe(false);
  });

  it("a name grant covers the name; a range grant every address", () => {
    const grant = compileHostGrant(["dept.example.gov.cn", "10.12.0.0/16"]);
    expect(grantCovers(grant, "DEPT.example.gov.cn.", [ip("203.0.113.9")])).toBe(true);
    expect(grantCovers(grant, "other.example", [ip("10.12.3.4")])).toBe(true);
    expect(grantCovers(grant, "other.example", [ip("10.12.3.4"), ip("10.13.0.1")])).toBe(false);
    expect(grantCovers(grant, "other.example", [])).toBe(false);
  });
});

describe("the guard", () => {
  const dns = new Map<string, string[]>([["granted.test", ["10.12.0.5"]], ["meta.test", ["169.254.169.254"]], ["db.test", ["127.0.0.1"]]]);
  const reach = new Reach({ lookup: async (h) => (dns.get(h) ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 })), ownDatabase: { host: "localhost", port: 5432, database: "huren" } });
  const reason = (p: Promise<unknown>) => p.then(() => "allowed", (e: unknown) => (e instanceof ReachError ? e.reason : String(e)));
  const grant = compileHostGrant(["10.12.0.0/16"]);

  it("judges grants, never-reachable addresses and the own database", async () => {
    expect(await reason(reach.check({ host: "granted.test", port: 443 }, { grant }, "connect"))).toBe("allowed");
    expect(await reason(reach.check({ host: "meta.test", port: 80 }, { grant: undefined }, "register"))).toBe("never-reachable");
    expect(await reason(reach.check({ host: "10.13.0.1", port: 80 }, { grant }, "register"))).toBe("not-granted");
    expect(await reason(reach.check({ host: "10.13.0.1", port: 80 }, { grant: undefined }, "register"))).toBe("allowed");
    expect(await reason(reach.check({ host: "unknown.test", port: 80 }, { grant }, "register"))).toBe("unresolved");
    expect(await reason(reach.check({ host: "db.test", port: 5432, database: "huren" }, { grant: undefined }, "register"))).toBe("own-database");
    expect(await reason(reach.check({ host: "::1", port: 5432, database: "huren" }, { grant: undefined }, "register"))).toBe("own-database");
    expect(await reason(reach.check({ host: "db.test", port: 5432, database: "front" }, { grant: undefined }, "register"))).toBe("allowed");
    expect(await reason(reach.check({ host: "db.test", port: 5433, database: "huren" }, { grant: undefined }, "register"))).toBe("allowed");
  });

  it("reads the own database from DATABASE_URL as PostgreSQL does", () => {
    expect(ownDatabaseOf("postgres://huren@db.internal:6432/gw")).toEqual({ host: "db.internal", port: 6432, database: "gw" });
    expect(ownDatabaseOf("postgres://huren@[::1]/")).toEqual({ host: "::1", port: 5432, database: "huren" });
    expect(ownDatabaseOf(undefined)).toBeUndefined();
  });
});

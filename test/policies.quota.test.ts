/**
 * Quotas and service hours end to end, on a fixed clock injected into the gateway: per operator
 * and per window per hour, atomic under concurrency, reset on the hour; hours in China time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { createHarness, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";
import { ledgerEntries, quotaCounters } from "../src/db/schema.ts";

let h: Harness;
let w: World;
// Monday 23 November 2026, 10:10 in Beijing.
let clock = new Date("2026-11-23T02:10:00Z");

beforeAll(async () => {
  h = await createHarness({ now: () => clock });
  w = await createWorld(h);
});
afterAll(async () => {
  await w?.close();
  await h?.close();
});

/** A verification of the no-housing proof signed at the gateway's clock, by operator `uid`. */
async function check(uid: string) {
  const iat = Math.floor(clock.getTime() / 1000);
  const res = await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: `Q-${uid}`, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] }, { claims: { iat, exp: iat + 120, uid } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as any;
  return { ...body.results[0], verificationId: body.verificationId };
}
const policy = (extra: Record<string, unknown>) => ({ evidenceType: "housing.no-property-proof", ...extra, rules: [{ matters: [HOUSING], basis: "statutory", citation: "《公共租赁住房管理办法》第七条", fields: ["propertyCount"] }] });
async function putPolicy(doc: unknown) {
  const iat = Math.floor(clock.getTime() / 1000);
  const res = await h.call(h.admin, "PUT", "/v1/policies/no-property", doc, { claims: { iat, exp: iat + 120 } });
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as any).version as number;
}

describe("quotas per hour", () => {
  it("per operator, then per window; denials are ledgered; the next hour starts afresh", async () => {
    const version = await putPolicy(policy({ quotas: { perWindowPerHour: 3, perOperatorPerHour: 2 } }));
    expect((await check("clerk-a")).status).toBe("verified");
    expect((await check("clerk-a")).status).toBe("verified");
    const overOperator = await check("clerk-a");
    expect(overOperator).toMatchObject({ status: "denied", reason: "quota-exceeded" });
    expect((await check("clerk-b")).status).toBe("verified");
    const overWindow = await check("clerk-c");
    expect(overWindow).toMatchObject({ status: "denied", reason: "quota-exceeded" });
    const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.verificationId, overWindow.verificationId));
    expect(JSON.parse(row!.entryJson).items[0]).toMatchObject({ decision: "deny", reasons: ["quota-exceeded"], policyVersion: `no-property@${version}`, source: null });

    clock = new Date("2026-11-23T02:59:59Z");
    expect((await check("clerk-d")).reason).toBe("quota-exceeded");
    clock = new Date("2026-11-23T03:00:00Z");
    expect((await check("clerk-a")).status).toBe("verified");
    // The first use of the new hour cleared this counter's earlier hours.
    const windowRows = await h.deps.db.select().from(quotaCounters).where(and(eq(quotaCounters.scope, "window:housing.no-property-proof"), eq(quotaCounters.key, w.window.id)));
    expect(windowRows.map((r) => [r.windowStart.toISOString(), r.count])).toEqual([["2026-11-23T03:00:00.000Z", 1]]);
  });

  it("is taken atomically: 10 verifications at once against a limit of 4, exactly 4 answered", async () => {
    clock = new Date("2026-11-23T05:00:00Z");
    await putPolicy(policy({ quotas: { perWindowPerHour: 4 } }));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => check(`burst-${i}`)));
    expect(results.filter((r) => r.status === "verified")).toHaveLength(4);
    expect(results.filter((r) => r.reason === "quota-exceeded")).toHaveLength(6);
  });

  it("denied items take no quota", async () => {
    clock = new Date("2026-11-23T06:00:00Z");
    await putPolicy(policy({ quotas: { perWindowPerHour: 1 } }));
    const iat = Math.floor(clock.getTime() / 1000);
    // The business-permit matter is not allowed for this type: denied, so nothing is counted.
    await h.call(w.window, "POST", "/v1/verifications", { matter: "220100-business-permit", case: "D", subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] }, { claims: { iat, exp: iat + 120 } });
    expect((await check("clerk-a")).status).toBe("verified");
  });
});

describe("service hours (China Standard Time)", () => {
  it("closed on Saturday and before opening; open at the opening minute", async () => {
    await putPolicy(policy({ serviceHours: [{ days: [1, 2, 3, 4, 5], from: "08:30", to: "17:00" }] }));
    clock = new Date("2026-11-28T02:00:00Z"); // Saturday 10:00
    expect(await check("clerk-a")).toMatchObject({ status: "denied", reason: "outside-service-hours" });
    clock = new Date("2026-11-30T00:29:00Z"); // Monday 08:29
    expect((await check("clerk-a")).reason).toBe("outside-service-hours");
    clock = new Date("2026-11-30T00:30:00Z"); // Monday 08:30
    expect((await check("clerk-a")).status).toBe("verified");
  });
});

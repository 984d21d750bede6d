/**
 * Who an ID token's (iss, sub) signs in as (#12): a mapping pinned to the token's issuer wins over
 * one for the configured issuer (""); a disabled mapping or a disabled member signs in nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../harness.ts";
import { putConsoleIdentity, resolveConsoleIdentity } from "../../src/members/console-identities.ts";
import { getMember, putMember } from "../../src/members/members.ts";

let h: Harness;
const IDP = "https://ids.changchun.gov.cn";

beforeAll(async () => {
  h = await createHarness();
  await h.addMember("audit-office", "auditor");
  await h.addMember("supervision-office", "supervisor");
});
afterAll(async () => {
  await h?.close();
});

describe("resolveConsoleIdentity", () => {
  it("maps a subject to its member, uid and kind; a pinned issuer wins; unknown subjects get nobody", async () => {
    await putConsoleIdentity(h.deps.db, { issuer: "", subject: "u-1", member: "audit-office", uid: "a-07", enabled: true }, "test-admin");
    expect(await resolveConsoleIdentity(h.deps.db, IDP, "u-1")).toEqual({ member: "audit-office", uid: "a-07", kind: "auditor" });
    await putConsoleIdentity(h.deps.db, { issuer: IDP, subject: "u-1", member: "supervision-office", uid: "s-02", enabled: true }, "test-admin");
    expect(await resolveConsoleIdentity(h.deps.db, IDP, "u-1")).toEqual({ member: "supervision-office", uid: "s-02", kind: "supervisor" });
    expect(await resolveConsoleIdentity(h.deps.db, "https://other.example", "u-1")).toMatchObject({ member: "audit-office" });
    expect(await resolveConsoleIdentity(h.deps.db, IDP, "u-2")).toBeUndefined();
  });

  it("a disabled mapping or a disabled member signs in nobody", async () => {
    const { created } = await putConsoleIdentity(h.deps.db, { issuer: "", subject: "u-3", member: "audit-office", uid: "a-08", enabled: false }, "test-admin");
    expect(created).toBe(true);
    expect(await resolveConsoleIdentity(h.deps.db, IDP, "u-3")).toBeUndefined();
    await putConsoleIdentity(h.deps.db, { issuer: "", subject: "u-3", member: "audit-office", uid: "a-08", enabled: true }, "test-admin");
    expect(await resolveConsoleIdentity(h.deps.db, IDP, "u-3")).toMatchObject({ uid: "a-08" });
    const m = (await getMember(h.deps.db, "audit-office"))!;
    await putMember(h.deps.db, m.id, { kind: m.kind, name: m.name, jwks: m.jwks, enabled: false });
    expect(await resolveConsoleIdentity(h.deps.db, IDP, "u-3")).toBeUndefined();
  });
});

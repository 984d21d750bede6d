/**
 * Administration in Chromium (#12): an admin edits a member and maps a staff member's sign-in
 * identity, each through the diff before it is applied; a stale diff is refused; a built-in
 * evidence type cannot be redefined; a policy is dry-run from its page. Only admins, only with
 * the session's CSRF token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../harness.ts";
import { ledgerSize } from "../../src/ledger/store.ts";
import { HOUSING } from "../world.ts";
import { hasChromium, screenshot, seriousViolations } from "./browser.ts";
import { createConsoleRig, type ConsoleRig } from "./setup.ts";

let rig: ConsoleRig;
let admin: Actor;

beforeAll(async () => {
  rig = await createConsoleRig();
  admin = { ...rig.h.admin, uid: "admin-li-01" };
}, 120_000);
afterAll(async () => {
  await rig?.close();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const cookieOf = async (actor: Actor) => (await fetch(await rig.loginLink(actor), { redirect: "manual" })).headers.get("set-cookie")!.split(";")[0]!;

describe("administration without a browser", () => {
  it("is for admins only, and every POST needs the CSRF token", async () => {
    const auditor = await rig.h.addMember("admin-test-auditor", "auditor");
    expect((await fetch(`${rig.base}/console/admin/members`, { headers: { cookie: await cookieOf(auditor) } })).status).toBe(403);
    const cookie = await cookieOf(admin);
    const res = await fetch(`${rig.base}/console/admin/members/cc-housing`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: form({ document: "{}" }) });
    expect(res.status).toBe(403);
    expect((await fetch(`${rig.base}/console/admin/nothing`, { headers: { cookie } })).status).toBe(404);
  });

  it("shows what is wrong with a proposal instead of applying it", async () => {
    const cookie = await cookieOf(admin);
    const page = await (await fetch(`${rig.base}/console/admin/members/cc-housing`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const post = (body: Record<string, string>) => fetch(`${rig.base}/console/admin/members/cc-housing`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: form({ csrf, ...body }) });
    const notJson = await post({ document: "{ not json" });
    expect(notJson.status).toBe(422);
    expect(await notJson.text()).toContain("不是有效的 JSON");
    const invalid = await post({ document: JSON.stringify({ kind: "department", name: "x", jwks: { keys: [] } }) });
    expect(invalid.status).toBe(422);
    const text = await invalid.text();
    expect(text).toContain("region");
    expect(text).not.toContain('id="apply"');
  });
});

describe.skipIf(!hasChromium)("administration in Chromium", () => {
  it("an admin changes a member through the diff, maps a sign-in identity, and a stale diff is refused", async () => {
    const page = await rig.signedIn(admin);
    await page.click("a[href='/console/admin']");
    expect(await page.locator("table.records tr[data-id='cc-housing']").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "admin-members");

    await page.click("a[href='/console/admin/members/cc-housing']");
    const doc = JSON.parse(await page.inputValue("textarea[name=document]")) as { name: string };
    expect(doc.name).toBe("cc-housing");
    await page.fill("textarea[name=document]", JSON.stringify({ ...doc, name: "长春市住房保障和房屋管理局" }, null, 2));
    expect(await page.locator("#grants").count()).toBe(1); // where grants will be edited
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "admin-member");
    await page.click("#show-diff");
    expect(await page.locator("tr.diff-del").allTextContents()).toEqual([expect.stringContaining('"name": "cc-housing"')]);
    expect(await page.locator("tr.diff-add").allTextContents()).toEqual([expect.stringContaining("长春市住房保障和房屋管理局")]);
    expect(((await (await rig.h.call(rig.h.admin, "GET", "/v1/members/cc-housing")).json()) as { name: string }).name).toBe("cc-housing"); // not yet
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "admin-confirm");
    await page.click("#apply");
    expect(new URL(page.url()).pathname).toBe("/console/admin/members/cc-housing");
    expect(((await (await rig.h.call(rig.h.admin, "GET", "/v1/members/cc-housing")).json()) as { name: string }).name).toBe("长春市住房保障和房屋管理局");

    // A sign-in identity for one of the department's staff.
    await page.fill(".identity-form input[name=subject]", "u-3f9c2a7e");
    await page.fill(".identity-form input[name=uid]", "zhufang-it-02");
    await page.click(".identity-form button");
    expect(await page.locator("tr.diff-add").count()).toBeGreaterThan(3);
    await page.click("#apply");
    expect(await page.locator("table.identities").textContent()).toContain("zhufang-it-02");
    const ids = (await (await rig.h.call(rig.h.admin, "GET", "/v1/console/identities?member=cc-housing")).json()) as { identities: { subject: string; changedBy: string }[] };
    expect(ids.identities).toEqual([expect.objectContaining({ subject: "u-3f9c2a7e", changedBy: "test-admin/admin-li-01" })]);

    // The record changes after the diff was drawn: Apply shows the new diff instead of overwriting.
    const now = JSON.parse(await page.inputValue("textarea[name=document]")) as Record<string, unknown>;
    await page.fill("textarea[name=document]", JSON.stringify({ ...now, enabled: false }));
    await page.click("#show-diff");
    expect((await rig.h.call(rig.h.admin, "PUT", "/v1/members/cc-housing", { ...now, name: "changed elsewhere" })).status).toBe(200);
    await page.click("#apply");
    expect(await page.locator("[role=alert]").textContent()).toContain("已被修改");
    expect(await page.locator("tr.diff-del").allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining("changed elsewhere")]));
    expect(((await (await rig.h.call(rig.h.admin, "GET", "/v1/members/cc-housing")).json()) as { enabled: boolean }).enabled).toBe(true);
    await page.close();
  }, 120_000);

  it("an admin changes a department's grant through the diff", async () => {
    const page = await rig.signedIn(admin);
    await page.goto(`${rig.base}/console/admin/members/cc-housing`);
    const hosts = await page.inputValue(".grants-form textarea[name=hosts]");
    await page.fill(".grants-form textarea[name=hosts]", `${hosts}\nfangguan.changchun.gov.cn`);
    const types = await page.inputValue(".grants-form textarea[name=evidenceTypes]");
    await page.fill(".grants-form textarea[name=evidenceTypes]", types.split("\n").filter((t) => t !== "disability.certificate").join("\n"));
    expect(await seriousViolations(page)).toEqual([]);
    await page.click(".grants-form button");
    expect(await page.locator("tr.diff-add").allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('"fangguan.changchun.gov.cn"')]));
    expect(await page.locator("tr.diff-del").allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('"disability.certificate"')]));
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "admin-grants-confirm");
    await page.click("#apply");
    expect(new URL(page.url()).pathname).toBe("/console/admin/members/cc-housing");
    const member = (await (await rig.h.call(rig.h.admin, "GET", "/v1/members/cc-housing")).json()) as { grants: { evidenceTypes: string[]; hosts: string[] } };
    expect(member.grants.hosts).toContain("fangguan.changchun.gov.cn");
    expect(member.grants.evidenceTypes).not.toContain("disability.certificate");
    expect(member.grants.evidenceTypes).toContain("housing.no-property-proof");
    await page.close();
  }, 120_000);

  it("a built-in evidence type is refused with the reason, and a policy is dry-run from its page", async () => {
    const page = await rig.signedIn(admin);
    await page.goto(`${rig.base}/console/admin/evidence-types/housing.no-property-proof`);
    const doc = JSON.parse(await page.inputValue("textarea[name=document]")) as Record<string, unknown>;
    await page.fill("textarea[name=document]", JSON.stringify({ ...doc, name: "改名" }));
    await page.click("#show-diff");
    await page.click("#apply");
    expect(await page.locator("[role=alert]").textContent()).toMatch(/built.in/i);

    await page.goto(`${rig.base}/console/admin/policies`);
    await page.click("a[href='/console/admin/policies/no-property']");
    await page.selectOption("select[name=requester]", "nanguan-window-01");
    await page.fill("input[name=matter]", HOUSING);
    await page.fill("input[name=evidence]", "housing.no-property-proof");
    const before = await ledgerSize(rig.h.deps.db);
    await page.click("form.dry-run button");
    const row = page.locator("table.dry-run-result tr[data-type='housing.no-property-proof']");
    expect(await row.textContent()).toMatch(/允许 permit|拒绝 deny/);
    expect(await row.textContent()).toContain("no-property@");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "admin-policy-dry-run");
    expect(await ledgerSize(rig.h.deps.db)).toBe(before); // a dry run writes nothing
    await page.close();
  }, 120_000);
});

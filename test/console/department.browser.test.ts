/**
 * The department page in Chromium (#12): a department sees its adapters with health and the
 * week's figures, runs the conformance check from the page, disables and re-enables an adapter
 * through the diff, and sees who queried its data in aggregate — never another department's
 * adapters, never a person.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../harness.ts";
import { HOUSING, zhangSan } from "../world.ts";
import { catchUp, consumerDepsOf } from "../../src/supervision/consumer.ts";
import { hasChromium, screenshot, seriousViolations } from "./browser.ts";
import { createConsoleRig, type ConsoleRig } from "./setup.ts";

let rig: ConsoleRig;
let dept: Actor;

beforeAll(async () => {
  rig = await createConsoleRig();
  dept = { ...rig.w.civilAffairs, uid: "minzheng-it-03" };
  const res = await rig.h.call(rig.w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "NG-2026-DEPT", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate" }] });
  expect(res.status).toBe(200);
  await catchUp(consumerDepsOf(rig.h.deps));
}, 120_000);
afterAll(async () => {
  await rig?.close();
});

describe("department page without a browser", () => {
  it("is for departments and admins; another department's adapter does not exist", async () => {
    const first = await fetch(await rig.loginLink(dept), { redirect: "manual" });
    const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
    const page = await (await fetch(`${rig.base}/console/department`, { headers: { cookie } })).text();
    expect(page).toContain("cc-civil-affairs-http");
    expect(page).not.toContain("cc-housing-fixture");
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const other = await fetch(`${rig.base}/console/department/adapters/cc-housing-fixture/check`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: `csrf=${csrf}` });
    expect(other.status).toBe(404);
    const noCsrf = await fetch(`${rig.base}/console/department/adapters/cc-civil-affairs-http/check`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: "" });
    expect(noCsrf.status).toBe(403);
    const auditorLogin = await fetch(await rig.loginLink(await rig.h.addMember("dept-test-auditor", "auditor")), { redirect: "manual" });
    expect((await fetch(`${rig.base}/console/department`, { headers: { cookie: auditorLogin.headers.get("set-cookie")!.split(";")[0]! } })).status).toBe(403);
  });
});

describe.skipIf(!hasChromium)("department page in Chromium", () => {
  it("a department runs a check, disables and re-enables its adapter through the diff, and sees who asked", async () => {
    const page = await rig.signedIn(dept);
    await page.click("a[href='/console/department']");
    const row = page.locator("tr[data-adapter='cc-civil-affairs-http']");
    expect(await row.textContent()).toContain("正常");
    // Aggregate use of its data: the window and the matter, counted; no person, no case.
    const callers = await page.locator("table.callers").textContent();
    expect(callers).toContain("nanguan-window-01");
    expect(callers).toContain(HOUSING);
    expect(await page.locator("main").textContent()).not.toContain(zhangSan.id);
    expect(await page.locator("main").textContent()).not.toContain("NG-2026-DEPT");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "department");

    await row.locator("button.run-check").click();
    const check = page.locator("section.check");
    await check.waitFor();
    expect(["passed", "unproven"]).toContain(await check.getAttribute("data-outcome"));
    expect(await check.locator("tbody tr").count()).toBeGreaterThan(2);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "department-check");

    await page.locator("tr[data-adapter='cc-civil-affairs-http'] button.toggle").click();
    expect(await page.locator("tr.diff-del").allTextContents()).toEqual([expect.stringContaining('"enabled": true')]);
    expect(await page.locator("tr.diff-add").allTextContents()).toEqual([expect.stringContaining('"enabled": false')]);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "department-confirm");
    await page.click("#apply");
    expect(new URL(page.url()).pathname).toBe("/console/department");
    expect(await page.locator("tr[data-adapter='cc-civil-affairs-http']").textContent()).toContain("已停用");

    const versions = (await (await rig.h.call(rig.h.admin, "GET", "/v1/adapters/cc-civil-affairs-http/versions")).json()) as { versions: { enabled: boolean; changedBy: string }[] };
    expect(versions.versions.at(-1)).toMatchObject({ enabled: false, changedBy: "cc-civil-affairs" });
    // The config's secrets and endpoint are kept: only `enabled` changed.
    await page.locator("tr[data-adapter='cc-civil-affairs-http'] button.toggle").click();
    await page.click("#apply");
    expect(await page.locator("tr[data-adapter='cc-civil-affairs-http']").textContent()).toContain("正常");
    await page.close();
  }, 120_000);
});

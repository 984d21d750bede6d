/**
 * The console in real Chromium (#12): an auditor signs in with a one-time login link, finds a
 * person in the access log (ledgered, with a purpose), opens an entry whose inclusion proof the
 * browser checks, prints the person report; a used link fails, a page without a session redirects,
 * a POST without the CSRF token is refused, axe finds no serious violation on any page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve } from "@hono/node-server";
import type { Browser } from "playwright-core";
import { createHarness, signRequest, type Actor, type Harness } from "../harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "../world.ts";
import { hasChromium, launch, screenshot, seriousViolations } from "./browser.ts";
import { catchUp, consumerDepsOf } from "../../src/supervision/consumer.ts";

let h: Harness;
let w: World;
let auditor: Actor;
let supervisor: Actor;
let base: string;
let close: () => void;
let browser: Browser;

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  auditor = await h.addMember("console-auditor", "auditor");
  supervisor = { ...(await h.addMember("console-supervisor", "supervisor")), uid: "supervisor-staff-1" };
  // A card on the first look-up, so the supervisor has one to acknowledge.
  expect((await h.call(h.admin, "PUT", "/v1/supervision/rules/bulk-lookups", { kind: "bulk-lookups", period: "1d", yellow: 1, red: 50 })).status).toBe(200);
  await new Promise<void>((resolve) => {
    const s = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
      base = `http://127.0.0.1:${info.port}`;
      close = () => s.close();
      resolve();
    });
  });
  const res = await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "NG-2026-CONSOLE", subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
  expect(res.status).toBe(200);
  await catchUp(consumerDepsOf(h.deps));
  // The entry is covered by a checkpoint (signed on schedule; the test runs the tick) before the browser checks its proof.
  await h.deps.ledger.checkpoints.tick();
  expect(Number((await (await h.app.request("/v1/ledger/checkpoint")).text()).split("\n")[1])).toBeGreaterThan(0);
  if (hasChromium) browser = await launch();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  close?.();
  await w?.close();
  await h?.close();
});

const loginLink = async (actor: Actor) => `${base}/console/login?t=${await signRequest(actor, "GET", "/console/login", "")}`;

describe("console without a browser", () => {
  it("redirects a page without a session to sign-in, under a strict CSP", async () => {
    const res = await fetch(`${base}/console/access-log`, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console/login");
    const login = await fetch(`${base}/console/login`);
    expect(login.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await login.text()).toContain("登录控制台");
  });

  it("a login link works once; the second use fails", async () => {
    const link = await loginLink(auditor);
    const first = await fetch(link, { redirect: "manual" });
    expect(first.status).toBe(303);
    const cookie = first.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const second = await fetch(link, { redirect: "manual" });
    expect(second.status).toBe(401);
    expect(await second.text()).toContain("登录链接无效");
  });

  it("refuses a POST without the session's CSRF token, and a page for another kind", async () => {
    const first = await fetch(await loginLink(auditor), { redirect: "manual" });
    const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
    const res = await fetch(`${base}/console/access-log`, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: "requester=x" });
    expect(res.status).toBe(403);
    const windowLogin = await fetch(await loginLink(w.window), { redirect: "manual" });
    const windowCookie = windowLogin.headers.get("set-cookie")!.split(";")[0]!;
    expect((await fetch(`${base}/console/access-log`, { headers: { cookie: windowCookie } })).status).toBe(403);
    expect((await fetch(`${base}/console`, { headers: { cookie: windowCookie } })).status).toBe(200);
  });
});

describe.skipIf(!hasChromium)("console in Chromium", () => {
  it("an auditor finds a person, checks an entry's proof in the browser, and prints the report", async () => {
    const page = await browser.newPage();
    await page.goto(await loginLink(auditor));
    expect(new URL(page.url()).pathname).toBe("/console");
    await expect(page.locator("[data-figure=ledger-size]").textContent()).resolves.toMatch(/^[1-9]/);
    await expect(page.locator("[data-figure=open-cards]").textContent()).resolves.toMatch(/^\d+$/);
    await expect(page.locator("[data-figure=deny-rate]").textContent()).resolves.toMatch(/^(–|\d+\.\d%)$/);
    expect(await page.locator("svg[aria-labelledby=outcome-title] title").textContent()).toMatch(/^今日核验事项 Items today: \d+/);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "overview");

    await page.click("a[href='/console/access-log']");
    await page.fill("input[name=subjectId]", zhangSan.id);
    await page.fill("input[name=purpose]", "AUD-2026-0042");
    await page.click("form.filters button[type=submit]");
    expect(page.url()).not.toContain(zhangSan.id); // ids never in URLs
    const rows = page.locator("table.entries tbody tr");
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "access-log");

    await rows.first().locator("a").click();
    await page.waitForSelector("#proof-result.ok, #proof-result.bad");
    expect(await page.getAttribute("#proof-result", "class")).toBe("ok");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "entry");

    await page.click("a[href='/console/report']");
    await page.fill("input[name=subjectId]", zhangSan.id);
    await page.fill("input[name=purpose]", "XF-2026-0108");
    await page.click("main form button[type=submit]");
    const report = await page.locator("main").textContent();
    expect(report).toContain(`${zhangSan.id.slice(0, 4)}**********${zhangSan.id.slice(-4)}`);
    expect(report).toContain("NG-2026-CONSOLE".length ? "审计查询" : ""); // the earlier search is listed as an audit access
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ media: "print" });
    expect(await page.locator("header.top").isVisible()).toBe(false);
    await screenshot(page, "report-print");
    const pdf = await page.pdf({ format: "A4" });
    expect(pdf.subarray(0, 4).toString()).toBe("%PDF");

    // Both looks at the person are in the ledger as audit-access entries with their purposes.
    const search = await h.call(auditor, "POST", "/v1/audit/search", { requester: auditor.id, limit: 10 });
    const purposes = ((await search.json()) as { entries: { entry: { kind?: string; purpose?: string } }[] }).entries.map((e) => e.entry.purpose);
    expect(purposes).toEqual(expect.arrayContaining(["AUD-2026-0042", "XF-2026-0108"]));

    await page.emulateMedia({ media: "screen" });
    await page.click("header form.who button");
    expect(new URL(page.url()).pathname).toBe("/console/login");
    await page.goto(`${base}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    await page.close();
  }, 120_000);

  it("a supervisor sees certificate-free items and acknowledges a card with a note", async () => {
    const page = await browser.newPage();
    await page.goto(await loginLink(supervisor));
    await page.click("a[href='/console/supervision']");
    expect(Number(await page.locator("[data-figure=certificate-free]").textContent())).toBeGreaterThan(0);
    expect(await page.locator("main").textContent()).not.toContain(zhangSan.id);
    const card = page.locator("tr[data-card]").first();
    const id = await card.getAttribute("data-card");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "supervision");
    await card.locator("input[name=note]").fill("已约谈经办人 talked to the clerk");
    await card.locator("button[value=acknowledge]").click();
    const res = await h.call(supervisor, "GET", "/v1/supervision/cards?state=acknowledged");
    const cards = ((await res.json()) as { cards: { id: string; notes: { by: string; action: string; note: string }[] }[] }).cards;
    const acked = cards.find((c) => c.id === id)!;
    expect(acked.notes.at(-1)).toMatchObject({ by: "console-supervisor/supervisor-staff-1", action: "acknowledge", note: "已约谈经办人 talked to the clerk" });
    await page.close();
  }, 120_000);

  it("a supervisor reads the fulfilment trends, opens the monthly report and downloads its CSV", async () => {
    const page = await browser.newPage();
    await page.goto(await loginLink(supervisor));
    await page.click("a[href='/console/supervision']");
    // A server-drawn chart with its text alternatives: a title and every day's value.
    const chart = page.locator("tr[data-department='cc-housing'] svg.trend");
    expect(await chart.getAttribute("role")).toBe("img");
    expect(await chart.locator("title").textContent()).toContain("履职率趋势");
    expect(await chart.locator("desc").textContent()).toMatch(/100%/);
    expect(await chart.locator("circle").count()).toBeGreaterThan(0);

    await page.click("a[href^='/console/supervision/monthly']");
    expect(Number(await page.locator("[data-figure=month-certificate-free]").textContent())).toBeGreaterThan(0);
    expect(await page.locator("table.departments tr[data-department='cc-housing'] svg.trend").count()).toBe(1);
    expect(await page.locator("main").textContent()).not.toContain(zhangSan.id);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "monthly");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("a[href^='/console/supervision/report.csv']")]);
    const csv = await (await import("node:fs/promises")).readFile((await download.path())!, "utf8");
    expect(csv.startsWith("\uFEFF")).toBe(true);
    expect(csv).toContain("certificateFree");
    await page.goto(`${base}/console/supervision/monthly?month=2026-13`);
    expect(await page.textContent("body")).toContain("YYYY-MM");
    await page.close();
  }, 120_000);
});

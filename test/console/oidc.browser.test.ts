/**
 * Console sign-in with OpenID Connect (#12), against a real provider: oidc-provider on loopback
 * at `localhost` (another site than the gateway's 127.0.0.1, so the SameSite rules are those of a
 * real deployment), Chromium driven through login page → provider's login and consent → back to
 * the console as the mapped member. An unmapped subject gets a refusal page and no session; the
 * login page offers OIDC only when it is configured.
 */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve } from "@hono/node-server";
import Provider from "oidc-provider";
import type { Browser } from "playwright-core";
import { createApp } from "../../src/app.ts";
import { createHarness, type Actor, type Harness } from "../harness.ts";
import { hasChromium, launch, screenshot, seriousViolations } from "./browser.ts";

let h: Harness;
let auditor: Actor;
let base: string;
let plainBase: string;
let issuer: string;
let browser: Browser;
const closers: (() => void)[] = [];

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
const serveApp = (fetch: (req: Request) => Response | Promise<Response>) =>
  new Promise<string>((resolve) => {
    const s = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve(`http://127.0.0.1:${info.port}`));
    closers.push(() => s.close());
  });

beforeAll(async () => {
  h = await createHarness();
  auditor = await h.addMember("console-oidc-auditor", "auditor");
  // The provider first (its issuer URL needs its port), then the gateway (its redirect URL needs its own).
  let handler: ((req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void) | undefined;
  const idp = createServer((req, res) => handler!(req, res));
  issuer = `http://localhost:${await listen(idp)}`;
  closers.push(() => idp.close());
  const gatewayServer = createServer();
  const port = await listen(gatewayServer);
  gatewayServer.close();
  base = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: "huren-console", client_secret: "a-test-secret-of-the-console-client", redirect_uris: [`${base}/console/oidc/callback`], grant_types: ["authorization_code"], response_types: ["code"] }],
    cookies: { keys: ["oidc-provider-test-cookie-key"] },
    pkce: { required: () => true },
  });
  handler = provider.callback();
  const app = createApp({ ...h.deps, consoleOidc: { issuer, clientId: "huren-console", clientSecret: "a-test-secret-of-the-console-client", redirectUrl: `${base}/console/oidc/callback` } });
  await new Promise<void>((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve());
    closers.push(() => s.close());
  });
  plainBase = await serveApp(h.app.fetch);
  const mapped = await h.call(h.admin, "PUT", "/v1/console/identities", { subject: "zhou.auditor", member: auditor.id, uid: "zhou-07" });
  expect(mapped.status).toBe(201);
  if (hasChromium) browser = await launch();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  for (const close of closers) close();
  await h?.close();
});

describe("console identities API", () => {
  it("maps subjects for admins only, and lists them", async () => {
    const list = await h.call(h.admin, "GET", `/v1/console/identities?member=${auditor.id}`);
    expect(await list.json()).toMatchObject({ identities: [{ issuer: "", subject: "zhou.auditor", member: auditor.id, uid: "zhou-07", enabled: true, changedBy: "test-admin" }] });
    expect((await h.call(auditor, "GET", "/v1/console/identities")).status).toBe(403);
    const unknown = await h.call(h.admin, "PUT", "/v1/console/identities", { subject: "x", member: "no-such-member", uid: "u1" });
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as { type: string }).type).toMatch(/unknown-member$/);
  });

  it("the login page offers OIDC only when it is configured", async () => {
    expect(await (await fetch(`${base}/console/login`)).text()).toContain('href="/console/oidc/start"');
    expect(await (await fetch(`${plainBase}/console/login`)).text()).not.toContain("/console/oidc/start");
    expect((await fetch(`${plainBase}/console/oidc/start`, { redirect: "manual" })).status).toBe(404);
  });

  it("an unreachable provider gets a page saying so, and no redirect", async () => {
    const closed = createServer();
    const port = await listen(closed);
    closed.close();
    const app = createApp({ ...h.deps, consoleOidc: { issuer: `http://127.0.0.1:${port}`, clientId: "c", redirectUrl: `${base}/console/oidc/callback` } });
    const res = await app.request("http://127.0.0.1/console/oidc/start");
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("统一身份认证服务暂时无法完成登录");
  });

  it("a callback with another sign-in's state is refused as expired (400), the provider never asked", async () => {
    const start = await fetch(`${base}/console/oidc/start`, { redirect: "manual" });
    const cookie = start.headers.get("set-cookie")!.split(";")[0]!;
    const res = await fetch(`${base}/console/oidc/callback?code=x&state=not-this-sign-ins`, { redirect: "manual", headers: { cookie } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("The sign-in expired or was already used");
    expect(res.headers.get("set-cookie") ?? "").not.toMatch(/huren_console=[^;]/);
  });

  it("a callback without the sign-in's transaction cookie is refused", async () => {
    const res = await fetch(`${base}/console/oidc/callback?code=x&state=y`, { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("set-cookie") ?? "").not.toMatch(/huren_console=[^;]/);
  });
});

describe.skipIf(!hasChromium)("OIDC sign-in in Chromium", () => {
  const signIn = async (login: string) => {
    const page = await browser.newPage();
    await page.goto(`${base}/console/login`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "login-oidc");
    await page.click("#oidc-sign-in");
    await page.waitForURL((u) => u.origin === issuer);
    await page.fill("input[name=login]", login);
    await page.fill("input[name=password]", "any");
    await page.click("button[type=submit]");
    await page.waitForLoadState();
    if (new URL(page.url()).origin === issuer) await page.click("button[type=submit]"); // the consent prompt
    await page.locator("header .who, [role=alert]").first().waitFor({ timeout: 30_000 });
    return page;
  };

  it("a mapped staff member signs in through the identity provider and gets the auditor's pages", async () => {
    const page = await signIn("zhou.auditor");
    expect(new URL(page.url()).pathname).toBe("/console");
    expect(await page.locator("header .who").textContent()).toContain(`${auditor.id}/zhou-07`);
    expect(await page.locator("nav a[href='/console/access-log']").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.click("a[href='/console/access-log']");
    expect(new URL(page.url()).pathname).toBe("/console/access-log");
    await page.close();
  }, 120_000);

  it("an unmapped subject is refused in Chinese and English, with no session", async () => {
    const page = await signIn("stranger");
    const alert = page.locator("[role=alert]");
    await alert.waitFor();
    expect(await alert.getAttribute("data-reason")).toBe("unknown");
    expect(await alert.textContent()).toContain("尚未开通");
    expect(await alert.textContent()).toContain("has not been given access");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "oidc-refused");
    await page.goto(`${base}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    await page.close();
  }, 120_000);
});

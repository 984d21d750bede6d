/**
 * Logs: one wide pino event per request, and no raw person id, name, case number or token in any
 * log line — under every route of the registry, unsigned, signed by each member kind, with a
 * malformed body, and along a real verification whose department then goes down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, signRequest, type Actor, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";
import { pinoLogger } from "../src/logging/pino.ts";
import { consoleLogger } from "../src/logging/console.ts";

const MARK = {
  id: "110101199003077777",
  name: "王标记测试",
  case: "CASE-MARKER-5150",
  token: "eyJtYXJrZXIiOjF9.eyJ0b2tlbi1tYXJrZXIiOjF9.c2lnLW1hcmtlcg",
  uid: "uid-marker-8080",
};

let h: Harness;
let w: World;
const lines: string[] = [];
const tokens: string[] = [];
let actors: Actor[];

beforeAll(async () => {
  h = await createHarness({ logger: pinoLogger("debug", { write: (line: string) => void lines.push(line) }) });
  w = await createWorld(h);
  actors = [h.admin, w.window, await h.addMember("log-auditor", "auditor", "220100"), w.civilAffairs];
}, 180_000);
afterAll(async () => {
  await w?.close();
  await h?.close();
});

/** Every (method, path template) the app routes, from hono's own registry. */
function registeredRoutes(): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of h.app.routes) {
    if (r.method === "ALL" || r.path === "*" || r.path === "/*") continue;
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

const markedBody = JSON.stringify({
  matter: HOUSING,
  case: MARK.case,
  subject: { type: "resident-id", id: MARK.id, name: MARK.name },
  name: MARK.name,
  id: MARK.id,
  uid: MARK.uid,
  consent: MARK.token,
  token: MARK.token,
  evidence: [{ type: "subsistence-allowance.certificate" }],
});

async function send(method: string, path: string, body: string | undefined, authorization: string | undefined, contentType = "application/json") {
  const res = await h.app.request(path, {
    method,
    headers: { ...(authorization ? { authorization } : {}), ...(body !== undefined ? { "content-type": contentType } : {}), "x-forwarded-for": MARK.id },
    ...(body !== undefined ? { body } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("logs carry no person data and no credentials", () => {
  it("under every registered route, unsigned, signed by each kind, and with a malformed body", async () => {
    const routes = registeredRoutes();
    expect(routes.length).toBeGreaterThan(20);
    let requests = 0;
    const before = lines.length;
    for (const route of routes) {
      const path = `${route.path.replace(/:(\w+)(\{[^}]*\})?/g, MARK.id)}?subject=${MARK.id}&name=${encodeURIComponent(MARK.name)}&case=${MARK.case}`;
      const body = route.method === "GET" || route.method === "HEAD" ? undefined : markedBody;
      await send(route.method, path, body, `Bearer ${MARK.token}`);
      requests++;
      for (const actor of actors) {
        const token = await signRequest(actor, route.method, path, body ?? "", { claims: { uid: MARK.uid } });
        tokens.push(token);
        await send(route.method, path, body, `Bearer ${token}`);
        requests++;
      }
      if (body !== undefined) {
        const broken = `{"subject":{"id":"${MARK.id}","name":"${MARK.name}"},"case":"${MARK.case}"`;
        const token = await signRequest(h.admin, route.method, path, broken);
        tokens.push(token);
        await send(route.method, path, broken, `Bearer ${token}`);
        await send(route.method, path, broken, `Bearer ${token}`, "text/plain");
        requests += 2;
      }
    }
    const events = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requestEvents = events.filter((e) => e.event === "request");
    expect(requestEvents).toHaveLength(requests);
    for (const e of requestEvents) {
      expect(e).toMatchObject({ level: "info", requestId: expect.any(String), method: expect.any(String), route: expect.any(String), status: expect.any(Number), ms: expect.any(Number) });
      expect(typeof e.time).toBe("string");
    }
    // Signed requests that authenticated name their member and kind, and carry stage timings.
    expect(requestEvents.some((e) => e.member === w.window.id && e.memberKind === "window" && (e.timings as Record<string, number>)?.authMs !== undefined)).toBe(true);
  }, 300_000);

  it("along a real verification, and when its department goes down", async () => {
    const res = await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: MARK.case, subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate" }, { type: "housing.no-property-proof" }] });
    expect(res.status).toBe(200);
    await w.department.close();
    const down = await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: MARK.case, subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate" }] });
    expect(down.status).toBe(200);
    expect(lines.some((l) => l.includes('"source-failed"'))).toBe(true);
    const event = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === "request" && e.route === "/v1/verifications" && e.status === 200);
    expect(event).toMatchObject({ member: w.window.id, verificationId: expect.stringMatching(/^vf_/), timings: { bodyMs: expect.any(Number), authMs: expect.any(Number), handlerMs: expect.any(Number) } });
  });

  it("and the scan finds none of them in any line", () => {
    expect(lines.length).toBeGreaterThan(100);
    const secrets = [MARK.id, MARK.name, MARK.case, MARK.token, MARK.uid, zhangSan.id, zhangSan.name, w.window.uid!, ...tokens];
    // Token pieces too: a logged header or signature would show its payload or signature part.
    const pieces = tokens.flatMap((t) => t.split(".").slice(1));
    for (const line of lines) {
      for (const s of [...secrets, ...pieces]) if (line.includes(s)) throw new Error(`log line contains "${s.slice(0, 24)}…": ${line.slice(0, 300)}`);
    }
  });
});

describe("redaction as a safety net", () => {
  const event = { event: "x", subject: { id: MARK.id }, authorization: `Bearer ${MARK.token}`, err: { name: MARK.name, uid: MARK.uid }, case: MARK.case, kept: "ok" };

  it("pino blanks the sensitive paths", () => {
    const out: string[] = [];
    pinoLogger("info", { write: (l: string) => void out.push(l) }).info(event);
    const parsed = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: "info", event: "x", kept: "ok", subject: "[redacted]", authorization: "[redacted]", case: "[redacted]", err: { name: "[redacted]", uid: "[redacted]" } });
  });

  it("the Workers logger blanks the same paths and honours the level", () => {
    const out: string[] = [];
    const logger = consoleLogger("warn", (l) => out.push(l));
    logger.info(event);
    expect(out).toEqual([]);
    logger.error(event);
    expect(JSON.parse(out[0]!)).toMatchObject({ level: "error", kept: "ok", subject: "[redacted]", authorization: "[redacted]", err: { name: "[redacted]" } });
    // The caller's object is left as it was.
    expect(event.subject.id).toBe(MARK.id);
  });

  it("HUREN_LOG silent writes nothing", () => {
    const out: string[] = [];
    pinoLogger("silent", { write: (l: string) => void out.push(l) }).error(event);
    expect(out).toEqual([]);
  });
});

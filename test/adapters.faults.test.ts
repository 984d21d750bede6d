/**
 * Departments that misbehave, as real servers on 127.0.0.1 and a real front database, through
 * the whole gateway: every fault makes that item `unavailable` within the adapter's timeout,
 * with the precise code in its ledger entry, while a concurrent healthy verification succeeds.
 * Then what the resilience layer adds: one retry after a reset, a bounded share of the gateway
 * for a flood of slow answers, and the circuit breaker with its cool-down and probe.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CompactSign } from "jose";
import { eq } from "drizzle-orm";
import { createHarness, newKey, type Actor, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";
import { createFrontDb, DIBAO_CONFIG, type FrontDb } from "./front-db.ts";
import { ledgerEntries } from "../src/db/schema.ts";
import { getMember, putMember } from "../src/members/members.ts";

type Mode = "ok" | "hang" | "held" | "reset" | "reset-once" | "503" | "garbage" | "misfit" | "huge" | "schema" | "wrong-signature" | "missing-signature";
let mode: Mode = "ok";
let h: Harness;
let w: World;
let server: Server;
let front: FrontDb;
let chaoyangWindow: Actor;
let chaoyangDept: Actor;
const TIMEOUT_MS = 400;
const MAX_CONCURRENT = 4;
const HTTP_ID = "nanguan-housing-http";
const SQL_ID = "chaoyang-dibao-sql";
const seen = { requests: 0, inFlight: 0, peak: 0 };
/** Answers the "held" department owes, sent when the test calls them (no timers). */
const held: (() => void)[] = [];

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  const housing = await h.addMember("nanguan-housing", "department", "220102");
  const signing = await newKey();
  const stranger = await newKey();
  const current = (await getMember(h.deps.db, housing.id))!;
  await putMember(h.deps.db, housing.id, { kind: "department", name: "housing", region: "220102", jwks: { keys: [...current.jwks.keys, signing.publicJwk as never] }, enabled: true });

  let resets = 0;
  server = createServer((req, res) => {
    seen.requests++;
    seen.inFlight++;
    seen.peak = Math.max(seen.peak, seen.inFlight);
    res.on("close", () => seen.inFlight--);
    req.resume();
    req.on("end", async () => {
      const answer = { found: true, status: "valid", certificateId: "WF-1", claims: { propertyCount: 0, region: "220102" } };
      const sign = (payload: object, key: typeof signing) => new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: "EdDSA", kid: signing.kid }).sign(key.privateKey);
      switch (mode) {
        case "hang":
          return;
        case "held":
          held.push(async () => res.writeHead(200, { "content-type": "application/jose" }).end(await sign(answer, signing)));
          return;
        case "reset":
          return void req.socket.destroy();
        case "reset-once":
          if (resets++ % 2 === 0) return void req.socket.destroy();
          return void res.writeHead(200, { "content-type": "application/jose" }).end(await sign(answer, signing));
        case "503":
          return void res.writeHead(503).end("maintenance");
        case "garbage": // not even text
          return void res.writeHead(200, { "content-type": "application/json" }).end(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x7b]));
        case "misfit": // properly signed, but not the §4 contract
          return void res.writeHead(200, { "content-type": "application/jose" }).end(await sign({ found: "maybe", status: 7 }, signing));
        case "huge": {
          res.writeHead(200, { "content-type": "application/json" });
          const chunk = Buffer.alloc(64 * 1024, 32);
          let sent = 0;
          const pump = () => {
            while (sent < 50 * 1024 * 1024 && !res.destroyed) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once("drain", pump);
            }
            res.end();
          };
          res.on("error", () => {});
          return pump();
        }
        case "schema":
          return void res.writeHead(200, { "content-type": "application/jose" }).end(await sign({ ...answer, claims: { propertyCount: -3 } }, signing));
        case "wrong-signature":
          return void res.writeHead(200, { "content-type": "application/jose" }).end(await sign(answer, stranger));
        case "missing-signature":
          return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
        default:
          return void res.writeHead(200, { "content-type": "application/jose" }).end(await sign(answer, signing));
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const res = await h.call(h.admin, "PUT", `/v1/adapters/${HTTP_ID}`, httpAdapter({ failureThreshold: 1000, coolDownMs: 60_000 }));
  expect(res.status).toBe(201);

  // Chaoyang district reads its 低保 records from a front database.
  chaoyangWindow = await h.addMember("chaoyang-window-01", "window", "220104");
  chaoyangDept = await h.addMember("chaoyang-civil-affairs", "department", "220104");
  front = await createFrontDb([{ idNo: zhangSan.id, name: zhangSan.name, status: "1", certNo: "CY-1", validUntil: "2099-01-01", householdSize: 2, monthlyAmount: "700.00", category: "urban" }]);
  expect((await putSql({})).status).toBe(201);
});
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await w?.close();
  await h?.close();
  await front?.drop();
});

function httpAdapter(circuitBreaker: { failureThreshold: number; coolDownMs: number }, timeoutMs = TIMEOUT_MS) {
  const port = (server.address() as AddressInfo).port;
  return {
    department: "nanguan-housing",
    kind: "http",
    evidenceTypes: ["housing.no-property-proof"],
    config: { endpoint: `http://127.0.0.1:${port}/lookup`, timeoutMs, maxBodyBytes: 65536, answerSignature: "required", maxConcurrent: MAX_CONCURRENT, circuitBreaker },
  };
}
const putSql = (config: Record<string, unknown>) =>
  h.call(chaoyangDept, "PUT", `/v1/adapters/${SQL_ID}`, {
    department: chaoyangDept.id,
    kind: "sql",
    evidenceTypes: ["subsistence-allowance.certificate"],
    config: { connectionString: front.readerUrl, ...DIBAO_CONFIG, timeoutMs: 600, statementTimeoutMs: 400, circuitBreaker: { failureThreshold: 1000, coolDownMs: 60_000 }, ...config },
  });

const askHousing = (caseRef = "FAULT") => h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: caseRef, subject: zhangSan, evidence: [{ type: "housing.no-property-proof", fields: ["propertyCount"] }] });
const askHealthy = () => h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "HEALTHY", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate" }] });
const askChaoyang = () => h.call(chaoyangWindow, "POST", "/v1/verifications", { matter: HOUSING, case: "CY", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate", fields: ["householdSize"] }] });
const ledgerItem = async (verificationId: string) => {
  const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.verificationId, verificationId));
  return JSON.parse(row!.entryJson).items[0];
};

/** The fault's verification, with a healthy one (another department) sent at the same time. */
async function underFault(ask: () => Promise<Response>, source: string, code: string) {
  // No clock: a fault that the deadline did not cut would hang this test until vitest's timeout.
  const [faulty, healthy] = await Promise.all([ask(), askHealthy()]);
  expect(faulty.status).toBe(200);
  const body = (await faulty.json()) as any;
  expect(body.results[0]).toMatchObject({ status: "unavailable", source, reason: code });
  expect(body.results[0].claims).toBeUndefined();
  expect(((await healthy.json()) as any).results[0].status).toBe("verified");
  expect(await ledgerItem(body.verificationId)).toMatchObject({ status: "unavailable", decision: "permit", source, error: code });
}

describe("an http department's every fault is one unavailable item", () => {
  const cases: [Mode, string][] = [
    ["hang", "timeout"],
    ["reset", "network"],
    ["503", "http-status"],
    ["garbage", "malformed-answer"],
    ["misfit", "malformed-answer"],
    ["huge", "too-large"],
    ["schema", "schema-violation"],
    ["wrong-signature", "bad-signature"],
    ["missing-signature", "bad-signature"],
  ];
  for (const [m, code] of cases) {
    it(`${m} → ${code}, ledgered, while a healthy verification succeeds`, async () => {
      mode = m;
      await underFault(askHousing, HTTP_ID, code);
    });
  }

  it("a reset connection is retried once (lookups are reads), and the second answer counts", async () => {
    mode = "reset-once";
    const before = seen.requests;
    const body = (await (await askHousing()).json()) as any;
    expect(body.results[0]).toMatchObject({ status: "verified", claims: { valid: true, propertyCount: 0 } });
    expect(seen.requests - before).toBe(2);
  });
});

describe("a front database's faults", () => {
  it("a view too slow for the statement timeout → timeout", async () => {
    expect((await putSql({ query: `${DIBAO_CONFIG.query} and pg_sleep(3) is not null` })).status).toBe(200);
    await underFault(askChaoyang, SQL_ID, "timeout");
  });
  it("a view that was dropped → adapter-error", async () => {
    expect((await putSql({ query: DIBAO_CONFIG.query.replace("dibao_view", "dibao_view_old") })).status).toBe(200);
    await underFault(askChaoyang, SQL_ID, "adapter-error");
  });
  it("a database server that is down → network", async () => {
    const url = new URL(front.readerUrl);
    url.port = "9";
    expect((await putSql({ connectionString: url.toString() })).status).toBe(200);
    await underFault(askChaoyang, SQL_ID, "network");
  });
  it("and once the department fixes it, answers again", async () => {
    expect((await putSql({})).status).toBe(200);
    expect(((await (await askChaoyang()).json()) as any).results[0]).toMatchObject({ status: "verified", claims: { householdSize: 2 } });
  });
});

describe("resilience", () => {
  it("a flood of slow answers holds at most maxConcurrent requests and never slows other departments", async () => {
    // Order, not speed: the department answers only when released and the deadline is long, so
    // the flood is still held while the healthy verification runs, however loaded the machine.
    expect((await h.call(h.admin, "PUT", `/v1/adapters/${HTTP_ID}`, httpAdapter({ failureThreshold: 100, coolDownMs: 1000 }, 30_000))).status).toBe(200);
    mode = "held";
    // Sockets of earlier tests' abandoned lookups close on their own time: start from none.
    await expect.poll(() => seen.inFlight, { timeout: 20_000 }).toBe(0);
    seen.peak = 0;
    let settled = 0;
    const flood = Array.from({ length: 24 }, (_, i) =>
      askHousing(`FLOOD-${i}`).then(async (r) => {
        settled++;
        return (await r.json()) as any;
      }),
    );
    await expect.poll(() => held.length, { timeout: 20_000 }).toBe(MAX_CONCURRENT);
    const healthy = (await (await askHealthy()).json()) as any;
    expect(healthy.results[0].status).toBe("verified");
    // Answered while the slow department holds its slots and the rest of the flood waits.
    expect(held.length).toBe(MAX_CONCURRENT);
    expect(settled).toBeLessThan(24);

    while (settled < 24) {
      for (const answer of held.splice(0)) answer();
      await new Promise((r) => setTimeout(r, 10));
    }
    const answers = await Promise.all(flood);
    for (const body of answers) {
      const r = body.results[0];
      if (r.status !== "verified") expect(r).toMatchObject({ status: "unavailable", reason: "overloaded" });
    }
    // 24 asked; the department never saw more than the limit at once.
    expect(seen.peak).toBeLessThanOrEqual(MAX_CONCURRENT);
    const entries = await h.deps.db.select().from(ledgerEntries);
    expect(entries.filter((e) => e.caseRef?.startsWith("FLOOD-")).length).toBe(24);
  });

  it("after repeated failures the circuit opens: unavailable at once, the department is left alone, then one probe", async () => {
    // A new version with a short cool-down gets a fresh breaker.
    expect((await h.call(h.admin, "PUT", `/v1/adapters/${HTTP_ID}`, httpAdapter({ failureThreshold: 3, coolDownMs: 800 }))).status).toBe(200);
    mode = "503";
    for (let i = 0; i < 3; i++) expect(((await (await askHousing()).json()) as any).results[0].reason).toBe("http-status");
    const before = seen.requests;
    // "At once" as order: answered without the department being asked (seen.requests below).
    const open = (await (await askHousing()).json()) as any;
    expect(open.results[0]).toMatchObject({ status: "unavailable", reason: "circuit-open" });
    expect(await ledgerItem(open.verificationId)).toMatchObject({ status: "unavailable", error: "circuit-open" });
    expect(seen.requests).toBe(before);
    const listed = ((await (await h.call(h.admin, "GET", `/v1/adapters/${HTTP_ID}`)).json()) as any);
    expect(listed).toMatchObject({ state: "failing", health: { breaker: { state: "open", consecutiveFailures: 3 } } });
    expect(listed.health.recent.errors["circuit-open"]).toBeGreaterThanOrEqual(1);

    // Healed, and after the cool-down the next lookup is the probe that closes the circuit.
    mode = "ok";
    await new Promise((r) => setTimeout(r, 900));
    expect(((await (await askHousing()).json()) as any).results[0].status).toBe("verified");
    expect(seen.requests).toBe(before + 1);
    expect(((await (await h.call(h.admin, "GET", `/v1/adapters/${HTTP_ID}`)).json()) as any).state).toBe("enabled");
  });

  it("a passing conformance check closes an open circuit without waiting for the cool-down", async () => {
    expect((await h.call(h.admin, "PUT", `/v1/adapters/${HTTP_ID}`, httpAdapter({ failureThreshold: 2, coolDownMs: 600_000 }))).status).toBe(200);
    mode = "503";
    for (let i = 0; i < 3; i++) await askHousing();
    expect(((await (await h.call(h.admin, "GET", `/v1/adapters/${HTTP_ID}`)).json()) as any).health.breaker.state).toBe("open");
    mode = "ok";
    const check = (await (await h.call(h.admin, "POST", `/v1/adapters/${HTTP_ID}/check`)).json()) as any;
    expect(check.ok).toBe(true);
    expect(((await (await h.call(h.admin, "GET", `/v1/adapters/${HTTP_ID}`)).json()) as any)).toMatchObject({ state: "enabled", health: { breaker: { state: "closed" } } });
    expect(((await (await askHousing()).json()) as any).results[0].status).toBe("verified");
  });
});

/**
 * Every way a department can fail, each produced by a real HTTP server on 127.0.0.1: the item
 * is `unavailable` within its timeout, the verification is ledgered, and the gateway keeps
 * answering other requests meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CompactSign } from "jose";
import { eq } from "drizzle-orm";
import { createHarness, newKey, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";
import { ledgerEntries } from "../src/db/schema.ts";
import { putMember, getMember } from "../src/members/members.ts";

type Mode = "ok" | "slow" | "500" | "garbage" | "schema" | "huge" | "wrong-signature" | "reset";
let mode: Mode = "ok";
let h: Harness;
let w: World;
let server: Server;
const TIMEOUT_MS = 400;

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  const housing = await h.addMember("cc-housing-http", "department", "220102");
  const signing = await newKey();
  const stranger = await newKey();
  const current = (await getMember(h.deps.db, housing.id))!;
  await putMember(h.deps.db, housing.id, { kind: "department", name: "housing", region: "220102", jwks: { keys: [...current.jwks.keys, signing.publicJwk as never] }, enabled: true });

  server = createServer((req, res) => {
    req.resume();
    req.on("end", async () => {
      const answer = { found: true, status: "valid", certificateId: "WF-1", claims: { propertyCount: 0, region: "220102" } };
      const sign = (key: typeof signing) => new CompactSign(new TextEncoder().encode(JSON.stringify(answer))).setProtectedHeader({ alg: "EdDSA", kid: signing.kid }).sign(key.privateKey);
      switch (mode) {
        case "slow":
          setTimeout(() => res.end(JSON.stringify(answer)), TIMEOUT_MS * 5).unref();
          return;
        case "500":
          res.writeHead(500).end("boom");
          return;
        case "garbage":
          res.writeHead(200, { "content-type": "application/json" }).end("{not json");
          return;
        case "schema":
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...answer, claims: { propertyCount: "none" } }));
          return;
        case "huge": {
          res.writeHead(200, { "content-type": "application/json" });
          const chunk = Buffer.alloc(64 * 1024, 32);
          let sent = 0;
          const pump = () => {
            while (sent < 50 * 1024 * 1024) {
              sent += chunk.length;
              if (!res.write(chunk)) return res.once("drain", pump);
            }
            res.end();
          };
          res.on("error", () => {});
          pump();
          return;
        }
        case "wrong-signature":
          res.writeHead(200, { "content-type": "application/jose" }).end(await sign(stranger));
          return;
        case "reset":
          req.socket.destroy();
          return;
        default:
          res.writeHead(200, { "content-type": "application/jose" }).end(await sign(signing));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  // The district's own housing department answers for Nanguan windows (closer than the city's fixture).
  const res = await h.call(h.admin, "PUT", "/v1/adapters/nanguan-housing-http", {
    department: housing.id,
    kind: "http",
    evidenceTypes: ["housing.no-property-proof"],
    config: { endpoint: `http://127.0.0.1:${port}/lookup`, timeoutMs: TIMEOUT_MS, maxBodyBytes: 65536, answerSignature: "required" },
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await w?.close();
  await h?.close();
});

const ask = () =>
  h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "FAULT", subject: zhangSan, evidence: [{ type: "housing.no-property-proof", fields: ["propertyCount"] }] });

describe("department failures become `unavailable`, never a crash", () => {
  it("a well-behaved signed answer is verified", async () => {
    mode = "ok";
    const body = (await (await ask()).json()) as any;
    expect(body.results[0]).toMatchObject({ status: "verified", source: "nanguan-housing-http", claims: { valid: true, propertyCount: 0 } });
  });

  for (const m of ["slow", "500", "garbage", "schema", "huge", "wrong-signature", "reset"] as const) {
    it(`${m}: unavailable within the timeout, ledgered, and a concurrent healthy verification succeeds`, async () => {
      mode = m;
      // No clock: a fault the deadline did not cut would hang this test until vitest's timeout.
      const [faulty, healthy] = await Promise.all([
        ask(),
        h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "HEALTHY", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate" }] }),
      ]);
      expect(faulty.status).toBe(200);
      const body = (await faulty.json()) as any;
      expect(body.results[0]).toMatchObject({ type: "housing.no-property-proof", status: "unavailable", source: "nanguan-housing-http" });
      expect(body.results[0].claims).toBeUndefined();
      expect(((await healthy.json()) as any).results[0].status).toBe("verified");

      const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.verificationId, body.verificationId));
      const entry = JSON.parse(row!.entryJson);
      expect(entry.items[0]).toMatchObject({ status: "unavailable", decision: "permit", source: "nanguan-housing-http" });
      expect(entry.items[0].error).toBeTruthy();
    });
  }

  it("no enabled adapter in the window's region: the matter's department would answer, but only under an agreement", async () => {
    const far = await h.addMember("far-window", "window", "110105");
    const res = await h.call(far, "POST", "/v1/verifications", { matter: HOUSING, case: "FAR", subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
    const body = (await res.json()) as any;
    // The policy allows any window; no department covers Beijing's Chaoyang district, and no
    // agreement recognises Changchun's certificates there (no-adapter: test/policies.routes.test.ts).
    expect(body.results[0]).toMatchObject({ status: "denied", reason: "region-not-recognised" });
  });
});

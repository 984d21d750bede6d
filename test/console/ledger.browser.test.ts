/**
 * The ledger page in Chromium (#12): recent checkpoints with a witness cosignature, and an auditor
 * verifying a range of entries in the browser (WebCrypto) with progress. The range data is only
 * data: a wrong tree size or a range past it is refused, and a page for auditors only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerCheckpoints, ledgerCosignatures } from "../../src/db/schema.ts";
import { cosignerFromJwk, generateCosignerJwk, signCosignature } from "../../src/ledger/cosignature.ts";
import { desc } from "drizzle-orm";
import type { Actor } from "../harness.ts";
import { HOUSING, zhangSan } from "../world.ts";
import { hasChromium, screenshot, seriousViolations } from "./browser.ts";
import { createConsoleRig, type ConsoleRig } from "./setup.ts";

let rig: ConsoleRig;
let auditor: Actor;
let size: number;

beforeAll(async () => {
  rig = await createConsoleRig();
  auditor = await rig.h.addMember("ledger-auditor", "auditor");
  for (let i = 0; i < 5; i++) {
    const res = await rig.h.call(rig.w.window, "POST", "/v1/verifications", { matter: HOUSING, case: `NG-2026-L${i}`, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
    expect(res.status).toBe(200);
  }
  await rig.h.deps.ledger.checkpoints.tick();
  // A witness's cosignature on the newest checkpoint, stored as the witness client stores one.
  const [cp] = await rig.h.deps.db.select().from(ledgerCheckpoints).orderBy(desc(ledgerCheckpoints.size)).limit(1);
  size = cp!.size;
  const witness = await cosignerFromJwk("witness.audit.example/w1", await generateCosignerJwk());
  const signedAt = 1_764_500_000;
  const line = await signCosignature(witness, cp!.note.slice(0, cp!.note.indexOf("\n\n") + 1), signedAt);
  await rig.h.deps.db.insert(ledgerCosignatures).values({ size, witness: witness.vkey, line, signedAt: new Date(signedAt * 1000) });
}, 120_000);
afterAll(async () => {
  await rig?.close();
});

const cookieOf = async (actor: Actor) => (await fetch(await rig.loginLink(actor), { redirect: "manual" })).headers.get("set-cookie")!.split(";")[0]!;

describe("ledger range data", () => {
  it("gives entries as stored with proofs, within the tree size asked, to auditors only", async () => {
    const cookie = await cookieOf(auditor);
    const ok = await fetch(`${rig.base}/console/ledger/range.json?from=0&to=2&size=${size}`, { headers: { cookie } });
    const body = (await ok.json()) as { entries: { index: number; entry: string; proof: string[] }[] };
    expect(body.entries.map((e) => e.index)).toEqual([0, 1]);
    expect(typeof body.entries[0]!.entry).toBe("string");
    expect((await fetch(`${rig.base}/console/ledger/range.json?from=0&to=2&size=${size + 1000}`, { headers: { cookie } })).status).toBe(400);
    expect((await fetch(`${rig.base}/console/ledger/range.json?from=0&to=500&size=${size}`, { headers: { cookie } })).status).toBe(400);
    const supervisor = { ...(await rig.h.addMember("ledger-supervisor", "supervisor")), uid: "s-1" };
    expect((await fetch(`${rig.base}/console/ledger/range.json?from=0&to=2&size=${size}`, { headers: { cookie: await cookieOf(supervisor) } })).status).toBe(403);
  });
});

describe.skipIf(!hasChromium)("ledger page in Chromium", () => {
  it("an auditor sees checkpoints with the witness's cosignature and verifies a range in the browser", async () => {
    const page = await rig.signedIn(auditor);
    await page.click("a[href='/console/ledger']");
    const row = page.locator(`table.checkpoints tr[data-size='${size}']`);
    expect(await row.textContent()).toContain("witness.audit.example/w1");
    await page.fill("input[name=from]", "0");
    await page.fill("input[name=to]", String(size - 1));
    await page.click("#verify-range button");
    await page.waitForSelector("#range-result.ok, #range-result.bad");
    expect(await page.getAttribute("#range-result", "class")).toBe("ok");
    expect(await page.textContent("#range-result")).toContain(`共 ${size} 条`);
    expect(await page.locator("#range-progress").evaluate((el) => (el as unknown as { value: number }).value)).toBe(size);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "ledger");

    // Past the signed checkpoint: refused in the browser, before anything is fetched.
    await page.fill("input[name=to]", String(size + 5));
    await page.locator("input[name=to]").evaluate((el) => (el as unknown as { removeAttribute(name: string): void }).removeAttribute("max"));
    await page.click("#verify-range button");
    await page.waitForSelector("#range-result.bad");
    expect(await page.textContent("#range-result")).toContain("检查点大小");
    await page.close();
  }, 120_000);
});

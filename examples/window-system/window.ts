/**
 * A worked example of a window system (一窗受理) using @huren/client: a clerk accepts an
 * application for public rental housing; instead of asking for paper copies, the window asks Huren,
 * checks the receipt offline, and files receipt + subject opening + the gateway's JWKS with the case.
 *
 * Run against the demo (`npm start` in the repository root prints a resident id):
 *   npx tsx examples/window-system/window.ts .huren/demo/nanguan-window-01.cli.json <resident id> 张三
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createClient, verifyReceipt, type HurenClient, type VerificationAnswer } from "@huren/client";

export interface Application {
  case: string;
  matter: string;
  applicant: { type: "resident-id"; id: string; name: string };
}

export interface FiledCase {
  case: string;
  /** What the clerk sees: one line per material, and whether the person still has to bring it. */
  materials: { type: string; status: string; bringCopy: boolean }[];
  receipt: string;
  subjectOpening: string | undefined;
  jwks: unknown;
}

/** Asks Huren for every material the matter exempts, checks the receipt, and returns what to file. */
export async function checkApplication(huren: HurenClient, app: Application, gatewayId: string, window: string): Promise<FiledCase> {
  const answer: VerificationAnswer = await huren.verifications.create({ matter: app.matter, case: app.case, subject: app.applicant });
  const jwks = await huren.receipts.jwks();
  const opening = (answer as { subjectOpening?: string }).subjectOpening;
  // The receipt must be the gateway's, for this window, and (v1.1) about this applicant.
  await verifyReceipt(answer.receipt, {
    jwks: jwks as never,
    issuer: gatewayId,
    audience: window,
    ...(opening ? { opening, subject: { type: app.applicant.type, id: app.applicant.id } } : {}),
  });
  return {
    case: app.case,
    materials: answer.results.map((r) => ({ type: r.type, status: r.status, bringCopy: r.status !== "verified" })),
    receipt: answer.receipt,
    subjectOpening: opening,
    jwks,
  };
}

async function main(keyPath: string, id: string, name: string): Promise<void> {
  const key = JSON.parse(await readFile(keyPath, "utf8")) as { gateway: string; gatewayId: string; member: string; uid?: string; jwk: Record<string, unknown> };
  const huren = createClient({ gateway: key.gateway, gatewayId: key.gatewayId, member: key.member, key: key.jwk, ...(key.uid ? { uid: key.uid } : {}) });
  const caseRef = `NG-${new Date().getFullYear()}-${String(Date.now()).slice(-6)}`;
  const filed = await checkApplication(huren, { case: caseRef, matter: "220100-public-rental-housing", applicant: { type: "resident-id", id, name } }, key.gatewayId, key.member);
  for (const m of filed.materials) console.log(`${m.bringCopy ? "请提交材料 bring a copy" : "免交 no copy needed"}  ${m.type}  (${m.status})`);
  await mkdir("filed", { recursive: true });
  await writeFile(join("filed", `${caseRef}.json`), JSON.stringify(filed, null, 2));
  console.log(`filed/${caseRef}.json`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [keyPath, id, name] = process.argv.slice(2);
  if (!keyPath || !id || !name) {
    console.error("usage: window.ts KEY_FILE RESIDENT_ID NAME");
    process.exit(2);
  }
  await main(keyPath, id, name);
}

/**
 * A few real verifications sent through the demo gateway on its first start, so every figure of
 * supervision (§10) has something in it: answers from the HTTP department and the fixtures,
 * not_found and invalid records, policy denials, and one unavailable item (孙七, whose record
 * system is "down" at the demo civil-affairs server). Sent once: only while the ledger is empty.
 */
import { loadKeyFile, signedFetch } from "../cli/client.ts";
import { DEMO_COMPANY, DEMO_PEOPLE } from "./data.ts";

const HOUSING = "220100-public-rental-housing";
const person = (p: { id: string; name: string }) => ({ type: "resident-id", id: p.id, name: p.name });

/** Returns how many verifications were answered 200. */
export async function sendDemoTraffic(windowKeyFile: string, gatewayUrl: string): Promise<number> {
  const clerk = await loadKeyFile(windowKeyFile);
  const other = { ...clerk, uid: "clerk-0043" };
  const requests: [typeof clerk, Record<string, unknown>][] = [
    [clerk, { matter: HOUSING, case: "NG-2026-DEMO-01", subject: person(DEMO_PEOPLE.zhangSan) }],
    [clerk, { matter: HOUSING, case: "NG-2026-DEMO-02", subject: person(DEMO_PEOPLE.liSi) }],
    [other, { matter: "220100-business-permit", case: "NG-2026-DEMO-03", subject: { type: "uscc", id: DEMO_COMPANY.id } }],
    [other, { matter: HOUSING, case: "NG-2026-DEMO-04", subject: person(DEMO_PEOPLE.wangWu), evidence: [{ type: "subsistence-allowance.certificate" }, { type: "disability.certificate" }] }],
    [other, { matter: "220100-disability-living-subsidy", case: "NG-2026-DEMO-05", subject: person(DEMO_PEOPLE.zhaoLiu) }],
    [clerk, { matter: HOUSING, case: "NG-2026-DEMO-06", subject: person(DEMO_PEOPLE.sunQi) }],
  ];
  const answered = await Promise.all(requests.map(([key, body]) => signedFetch(key, "POST", "/v1/verifications", body, gatewayUrl).then((r) => r.status === 200)));
  return answered.filter(Boolean).length;
}

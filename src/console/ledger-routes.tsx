/**
 * /console/ledger (auditor): checkpoints and witness cosignatures, and the data the browser's
 * range check reads — entries as stored with their inclusion proofs in the tree of the checkpoint
 * the page showed. The same entries an auditor reads through /v1/ledger/entries and the entry
 * bundles; nothing here decides whether they verify: the browser does.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../deps.ts";
import { ledgerSize, rawEntriesByIndex } from "../ledger/store.ts";
import { proveInclusion } from "../ledger/proofs.ts";
import { recentCheckpoints } from "../ledger/served.ts";
import { requireSession, type ConsoleEnv } from "./http.ts";
import { LedgerPage } from "./pages/ledger.tsx";

const CHUNK = 100;

export function registerLedgerPages(app: OpenAPIHono<ConsoleEnv>, deps: AppDeps, served: () => Promise<{ note: string; size: number } | undefined>) {
  const auditor = requireSession(["auditor"]);

  app.get("/console/ledger", auditor, async (c) => {
    const [size, checkpoints, current] = await Promise.all([ledgerSize(deps.db), recentCheckpoints(deps.db, 20), served()]);
    const policy = deps.ledger.witnesses.policy;
    return c.html(<LedgerPage session={c.get("session")!} view={{ served: current, ledgerKey: deps.ledger.signer.verifierKey, ledgerSize: size, checkpoints, witnesses: policy.vkeys, quorum: policy.quorum }} />);
  });

  app.get("/console/ledger/range.json", auditor, async (c) => {
    const num = (k: string) => {
      const v = c.req.query(k);
      return v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
    };
    const from = num("from");
    const to = num("to");
    const size = num("size");
    if (from === undefined || to === undefined || size === undefined || from >= to || to - from > CHUNK || to > size) return c.json({ error: "from < to ≤ size, at most 100 entries" }, 400);
    if (size > (await ledgerSize(deps.db))) return c.json({ error: "no such tree size" }, 400);
    const entries = await rawEntriesByIndex(deps.db, from, to, CHUNK);
    const proofs = await Promise.all(entries.map((e) => proveInclusion(deps.db, e.index, size)));
    return c.json({ size, entries: entries.map((e, i) => ({ index: e.index, entry: e.entryJson, proof: proofs[i]!.hashes })) });
  });
}

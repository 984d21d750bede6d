/**
 * Ledger (auditor): the checkpoint served now, the recent checkpoints with their witness
 * cosignatures, and "verify a range of entries" — done in the browser (range.js, WebCrypto):
 * the page hands over the signed checkpoint and the ledger key, the browser fetches the entries as
 * stored with their inclusion proofs, hashes each entry itself and checks it reaches the signed
 * root. A compromised server can refuse, but cannot make a changed or missing entry pass.
 */
import { Layout } from "./layout.tsx";
import { T } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";
import type { RecentCheckpoint } from "../../ledger/served.ts";

export interface LedgerView {
  served: { note: string; size: number } | undefined;
  ledgerKey: string;
  ledgerSize: number;
  checkpoints: RecentCheckpoint[];
  /** Configured witnesses (vkeys) and the quorum a served checkpoint needs. */
  witnesses: string[];
  quorum: number;
}

const witnessName = (vkey: string) => vkey.slice(0, vkey.indexOf("+"));

export function LedgerPage({ session, view }: { session: ConsoleSession; view: LedgerView }) {
  const last = view.served ? view.served.size - 1 : 0;
  return (
    <Layout title="ledger" session={session}>
      <dl class="figures">
        <div><dt><T k="ledgerSize" /></dt><dd data-figure="ledger-size">{view.ledgerSize}</dd></div>
        <div><dt><T k="servedCheckpoint" /></dt><dd data-figure="served-size">{view.served?.size ?? "—"}</dd></div>
        <div><dt><T k="witnesses" /></dt><dd>{view.witnesses.length ? `${view.witnesses.length} (${view.quorum})` : "—"}</dd></div>
      </dl>
      <section aria-labelledby="verify-h">
        <h2 id="verify-h"><T k="verifyRange" /></h2>
        {view.served && view.served.size > 0 ? (
          <div id="range" data-checkpoint={view.served.note} data-key={view.ledgerKey}>
            <form id="verify-range" class="actions">
              <label>
                <T k="fromIndex" />
                <input name="from" type="number" min={0} max={last} value={String(Math.max(0, last - 99))} required />
              </label>
              <label>
                <T k="toIndex" />
                <input name="to" type="number" min={0} max={last} value={String(last)} required />
              </label>
              <button type="submit"><T k="verify" /></button>
            </form>
            <label>
              <T k="progress" />
              <progress id="range-progress" max={1} value={0}></progress>
            </label>
            <p id="range-result" role="status" aria-live="polite"></p>
            <details>
              <summary><T k="checkedAgainst" /></summary>
              <pre class="note">{view.served.note}</pre>
            </details>
          </div>
        ) : (
          <p><T k="checkpointNone" /></p>
        )}
      </section>
      <h2><T k="recentCheckpoints" /></h2>
      <table class="entries checkpoints">
        <thead>
          <tr>
            <th scope="col"><T k="size" /></th>
            <th scope="col"><T k="rootHash" /></th>
            <th scope="col"><T k="time" /></th>
            <th scope="col"><T k="cosignatures" /></th>
          </tr>
        </thead>
        <tbody>
          {view.checkpoints.map((c) => (
            <tr data-size={String(c.size)}>
              <td>{c.size}{view.served?.size === c.size && <> · <T k="served" /></>}</td>
              <td><code>{c.rootHash}</code></td>
              <td>{c.createdAt.toISOString()}</td>
              <td>
                {c.cosignatures.length === 0 ? "—" : (
                  <ul class="plain">
                    {c.cosignatures.map((s) => (
                      <li>{witnessName(s.witness)} · {s.signedAt.toISOString()}{!view.witnesses.includes(s.witness) && <> (<T k="notConfigured" />)</>}</li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <script src="/console/static/range.js"></script>
    </Layout>
  );
}

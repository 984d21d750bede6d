/**
 * One ledger entry (auditor): what was decided per item, on which basis and citation, with which
 * consent — and its inclusion proof, checked in the browser (WebCrypto) against the signed
 * checkpoint by /console/static/proof.js, so the auditor need not trust this page's server.
 */
import { Layout } from "./layout.tsx";
import { T } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";

export interface EntryView {
  index: number;
  leafHash: string;
  entry: Record<string, unknown>;
  /** The signed checkpoint note it is checked against, the note key, and the proof (standard base64). */
  checkpoint: string | undefined;
  ledgerKey: string;
  proof: string[];
}

type Item = { type: string; decision?: string; status?: string; basis?: string | null; citation?: string | null; reasons?: string[]; fields?: string[]; source?: string | null };

const SCALARS = ["kind", "verificationId", "time", "requester", "uid", "matter", "case", "decision", "consent", "consentProblem", "purpose", "action"];

export function EntryPage({ session, view }: { session: ConsoleSession; view: EntryView }) {
  const e = view.entry;
  const items = (e.items as Item[] | undefined) ?? [];
  return (
    <Layout title="entry" session={session}>
      <p>
        <T k="index" />: <strong>{view.index}</strong>
      </p>
      <dl class="entry">
        {SCALARS.filter((k) => e[k] !== undefined && e[k] !== null).map((k) => (
          <>
            <dt>{k}</dt>
            <dd>{typeof e[k] === "object" ? JSON.stringify(e[k]) : String(e[k])}</dd>
          </>
        ))}
      </dl>
      {items.length > 0 && (
        <table class="entries">
          <thead>
            <tr>
              <th scope="col"><T k="evidenceType" /></th>
              <th scope="col"><T k="decision" /></th>
              <th scope="col"><T k="outcome" /></th>
              <th scope="col"><T k="policyBasis" /></th>
              <th scope="col"><T k="citation" /></th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr>
                <td>{i.type}</td>
                <td>{`${i.decision ?? ""}${i.reasons?.length ? ` (${i.reasons.join(", ")})` : ""}`}</td>
                <td>{i.status ?? ""}</td>
                <td>{i.basis ?? ""}</td>
                <td>{i.citation ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section aria-labelledby="proof-h">
        <h2 id="proof-h">
          <T k="proof" />
        </h2>
        {view.checkpoint ? (
          <div id="proof" data-index={String(view.index)} data-leaf={view.leafHash} data-key={view.ledgerKey} data-checkpoint={view.checkpoint} data-proof={view.proof.join(",")}>
            <p id="proof-result" role="status">
              <T k="proofChecking" />
            </p>
            <pre class="note">{view.checkpoint}</pre>
          </div>
        ) : (
          <p>
            <T k="checkpointNone" />
          </p>
        )}
      </section>
      <script src="/console/static/proof.js"></script>
    </Layout>
  );
}

/** Every change shows its diff before it is applied: this page, with the proposal in hidden fields and Apply / Cancel. */
import { Layout } from "./layout.tsx";
import { Csrf } from "./forms.tsx";
import { T, type MessageKey } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";
import type { DiffLine } from "../diff.ts";

export interface ConfirmView {
  /** What is changed, e.g. "adapter cc-civil-affairs-http". */
  what: string;
  diff: DiffLine[];
  /** Where Apply posts, and where Cancel goes. */
  action: string;
  back: string;
  proposal: string;
  base: string;
  /** The change was refused or the record moved on since the form was filled. */
  notice?: MessageKey | undefined;
  error?: string | undefined;
}

const SIGN = { same: " ", add: "+", del: "-" } as const;

export function ConfirmPage({ session, view }: { session: ConsoleSession; view: ConfirmView }) {
  const changed = view.diff.some((l) => l.op !== "same");
  return (
    <Layout title="confirmChange" session={session}>
      <p>
        <T k="changeOf" />: <strong>{view.what}</strong>
      </p>
      {view.notice && (
        <p role="alert" class="error">
          <T k={view.notice} />
        </p>
      )}
      {view.error && (
        <p role="alert" class="error">
          {view.error}
        </p>
      )}
      <table class="diff" aria-label="diff">
        <thead>
          <tr>
            <th scope="col"><T k="diffSign" /></th>
            <th scope="col"><T k="diffLine" /></th>
          </tr>
        </thead>
        <tbody>
          {view.diff.map((l) => (
            <tr class={`diff-${l.op}`}>
              <td aria-label={l.op === "add" ? "added" : l.op === "del" ? "removed" : "unchanged"}>{SIGN[l.op]}</td>
              <td><code>{l.text}</code></td>
            </tr>
          ))}
        </tbody>
      </table>
      {!changed && (
        <p>
          <T k="noChange" />
        </p>
      )}
      <form method="post" action={view.action} class="actions">
        <input type="hidden" name="proposal" value={view.proposal} />
        <input type="hidden" name="base" value={view.base} />
        <input type="hidden" name="confirm" value="1" />
        <Csrf token={session.csrf} />
        {changed && !view.error && (
          <button type="submit" id="apply">
            <T k="applyChange" />
          </button>
        )}{" "}
        <a href={view.back}>
          <T k="cancel" />
        </a>
      </form>
    </Layout>
  );
}

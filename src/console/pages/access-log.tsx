/** Access log (auditor): every §8 filter, person search by POST, paging by cursor. */
import { Layout } from "./layout.tsx";
import { Csrf, PersonFields, PurposeField } from "./forms.tsx";
import { T } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";
import type { AuditHit } from "../../audit/search.ts";

export const FILTERS = ["requester", "uid", "case", "matter", "evidenceType", "decision", "from", "to"] as const;
export type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

const entryOutcome = (e: Record<string, unknown>): string => {
  const items = (e.items as { type: string; status?: string }[] | undefined) ?? [];
  if (typeof e.kind === "string" && e.kind !== "verification") return `${e.kind}${e.purpose ? ` · ${String(e.purpose)}` : ""}`;
  return items.map((i) => `${i.type}: ${i.status ?? "—"}`).join("; ");
};

export function AccessLogPage(props: { session: ConsoleSession; filters: Filters; purpose?: string | undefined; hits?: AuditHit[]; nextCursor?: string | null; error?: string | undefined }) {
  const { filters, hits } = props;
  return (
    <Layout title="accessLog" session={props.session}>
      <form method="post" action="/console/access-log" class="filters">
        <fieldset>
          <legend>
            <T k="filters" />
          </legend>
          {FILTERS.map((name) => (
            <label>
              <T k={name} />
              <input name={name} value={filters[name] ?? ""} type={name === "from" || name === "to" ? "date" : "text"} maxlength={64} />
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>
            <T k="searchPerson" />
          </legend>
          <PersonFields />
          <PurposeField value={props.purpose} />
        </fieldset>
        <Csrf token={props.session.csrf} />
        <button type="submit">
          <T k="search" />
        </button>
      </form>
      {props.error && (
        <p role="alert" class="error">
          {props.error}
        </p>
      )}
      {hits && hits.length === 0 && (
        <p>
          <T k="noEntries" />
        </p>
      )}
      {hits && hits.length > 0 && (
        <table class="entries">
          <thead>
            <tr>
              <th scope="col"><T k="index" /></th>
              <th scope="col"><T k="time" /></th>
              <th scope="col"><T k="requester" /></th>
              <th scope="col"><T k="uid" /></th>
              <th scope="col"><T k="matter" /></th>
              <th scope="col"><T k="outcome" /></th>
            </tr>
          </thead>
          <tbody>
            {hits.map((h) => (
              <tr>
                <td>
                  <a href={`/console/entries/${h.index}`}>{h.index}</a>
                </td>
                <td>{h.recordedAt}</td>
                <td>{String(h.entry.requester ?? "")}</td>
                <td>{String(h.entry.uid ?? "")}</td>
                <td>{String(h.entry.matter ?? "")}</td>
                <td>{entryOutcome(h.entry)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.nextCursor && (
        <form method="post" action="/console/access-log">
          {FILTERS.map((name) => filters[name] && <input type="hidden" name={name} value={filters[name]} />)}
          <input type="hidden" name="cursor" value={props.nextCursor} />
          <Csrf token={props.session.csrf} />
          <button type="submit">
            <T k="next" />
          </button>
        </form>
      )}
    </Layout>
  );
}

/** The person report (auditor): who accessed this person's data — printable on A4, in Chinese. */
import { Layout } from "./layout.tsx";
import { Csrf, PersonFields, PurposeField } from "./forms.tsx";
import { T } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";
import type { SubjectAccess } from "../../audit/subject-report.ts";

export const ReportForm = ({ session }: { session: ConsoleSession }) => (
  <Layout title="personReport" session={session}>
    <form method="post" action="/console/report">
      <PersonFields required />
      <PurposeField required />
      <Csrf token={session.csrf} />
      <button type="submit">
        <T k="search" />
      </button>
    </form>
  </Layout>
);

const outcome = (a: SubjectAccess): string =>
  a.kind === "verification" ? a.items.map((i) => `${i.evidenceType}：${i.outcome}${i.basis ? `（${i.basis}${i.citation ? `，${i.citation}` : ""}）` : ""}`).join("；") : `${a.action}${a.purpose ? `：${a.purpose}` : ""}`;

export function ReportPage(props: { session: ConsoleSession; masked: string; accesses: SubjectAccess[]; checkpoint: string | undefined; subjectType: string; subjectId: string; purpose: string }) {
  const { accesses } = props;
  return (
    <Layout title="reportTitle" session={props.session}>
      <p>
        <T k="reportIntro" /> <strong>{props.masked}</strong>
      </p>
      <table class="entries report">
        <thead>
          <tr>
            <th scope="col"><T k="time" /></th>
            <th scope="col"><T k="requester" /></th>
            <th scope="col"><T k="uid" /></th>
            <th scope="col"><T k="matter" /></th>
            <th scope="col"><T k="outcome" /></th>
            <th scope="col"><T k="index" /></th>
          </tr>
        </thead>
        <tbody>
          {accesses.map((a) => (
            <tr>
              <td>{a.time}</td>
              <td>{a.kind === "verification" ? `${a.window.name ?? a.window.id}` : <><T k="auditorAccess" />：{a.by.name ?? a.by.id}</>}</td>
              <td>{a.operator ?? ""}</td>
              <td>{a.kind === "verification" ? (a.matter.name ?? a.matter.code) : ""}</td>
              <td>{outcome(a)}</td>
              <td>{a.index}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {accesses.length === 0 && (
        <p>
          <T k="noEntries" />
        </p>
      )}
      {props.checkpoint && (
        <>
          <h2>
            <T k="checkedAgainst" />
          </h2>
          <pre class="note">{props.checkpoint}</pre>
        </>
      )}
      <div class="no-print actions">
        <form method="post" action="/console/report.json">
          <input type="hidden" name="subjectType" value={props.subjectType} />
          <input type="hidden" name="subjectId" value={props.subjectId} />
          <input type="hidden" name="purpose" value={props.purpose} />
          <Csrf token={props.session.csrf} />
          <button type="submit">
            <T k="downloadJson" />
          </button>
        </form>
      </div>
    </Layout>
  );
}

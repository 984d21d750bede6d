/**
 * Departments (department; admin sees every department): each adapter's state, this process's
 * recent health, the supervision figures of the last 7 days, the last conformance check and its
 * versions; run a check, enable or disable (through the diff); and who queried the department's
 * data over 30 days, per window and matter — counts only, no person.
 */
import { Layout } from "./layout.tsx";
import { Csrf } from "./forms.tsx";
import { T, type MessageKey } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";
import type { AdapterStatus } from "../../sources/status.ts";
import type { AdapterVersion } from "../../sources/store.ts";
import type { CheckReport } from "../../sources/check.ts";
import type { CallerFigures, ServiceFigures } from "../../supervision/department-queries.ts";

export interface DepartmentView {
  department: string | undefined;
  adapters: (AdapterStatus & { versions: AdapterVersion[]; week: ServiceFigures | undefined })[];
  callers: CallerFigures[];
  /** A check just run from this page. */
  check?: CheckReport | undefined;
}

const STATE: Record<AdapterStatus["state"], MessageKey> = { enabled: "stateEnabled", disabled: "stateDisabled", "not-granted": "stateNotGranted", failing: "stateFailing" };
const OUTCOME: Record<CheckReport["outcome"], MessageKey> = { passed: "passed", failed: "failed", unproven: "unproven" };
const pct = (x: number | null | undefined) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

export function CheckReportView({ report }: { report: CheckReport }) {
  return (
    <section aria-labelledby="check-h" class="check" data-outcome={report.outcome}>
      <h2 id="check-h">
        <T k="checkReport" />: {report.adapter} v{report.version ?? "—"}
      </h2>
      <p role="status" class={report.outcome === "failed" ? "bad" : report.outcome === "passed" ? "ok" : ""}>
        <T k={OUTCOME[report.outcome]} /> · {report.ms} ms · {report.checkedAt}
      </p>
      <table class="entries">
        <thead>
          <tr>
            <th scope="col"><T k="step" /></th>
            <th scope="col"><T k="state" /></th>
            <th scope="col"><T k="detail" /></th>
          </tr>
        </thead>
        <tbody>
          {report.steps.map((s) => (
            <tr>
              <td>{s.step}</td>
              <td class={s.status === "fail" ? "bad" : s.status === "pass" ? "ok" : ""}>{s.status}</td>
              <td>{s.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function DepartmentPage({ session, view }: { session: ConsoleSession; view: DepartmentView }) {
  const q = view.department && session.kind === "admin" ? `?department=${encodeURIComponent(view.department)}` : "";
  return (
    <Layout title="departmentPage" session={session}>
      {view.department && <p><T k="department" />: <strong>{view.department}</strong></p>}
      {view.check && <CheckReportView report={view.check} />}
      <h2><T k="adapters" /></h2>
      {view.adapters.length === 0 ? (
        <p><T k="noAdapters" /></p>
      ) : (
        <table class="entries adapters">
          <thead>
            <tr>
              <th scope="col"><T k="adapter" /></th>
              <th scope="col"><T k="state" /></th>
              <th scope="col"><T k="errorRate" /></th>
              <th scope="col"><T k="latency" /></th>
              <th scope="col"><T k="fulfilment" /> (<T k="last7Days" />)</th>
              <th scope="col"><T k="lastCheck" /></th>
              <th scope="col"><T k="runCheck" /></th>
            </tr>
          </thead>
          <tbody>
            {view.adapters.map((a) => (
              <tr data-adapter={a.id}>
                <td>
                  <strong>{a.id}</strong> v{a.version}
                  <br />
                  <small>{a.kind} · {a.evidenceTypes.join(", ")}</small>
                </td>
                <td class={a.state === "failing" || a.state === "not-granted" ? "bad" : ""}>
                  <T k={STATE[a.state]} />
                  <br />
                  <small><T k="breaker" />: {a.health.breaker.state}</small>
                </td>
                <td>{pct(a.health.recent.errorRate)} ({a.health.recent.failures}/{a.health.recent.lookups})</td>
                <td>{a.health.recent.latencyMs ? `${a.health.recent.latencyMs.p50} / ${a.health.recent.latencyMs.p95}` : "—"}</td>
                <td>{a.week ? `${pct(a.week.fulfilment)} · ${a.week.answered}/${a.week.asked} · P95 ${a.week.p95Ms ?? "—"}` : "—"}</td>
                <td>{a.lastCheck ? <><T k={OUTCOME[a.lastCheck.outcome ?? (a.lastCheck.ok ? "passed" : "failed")]} /> v{a.lastCheck.version ?? "—"}<br /><small>{a.lastCheck.checkedAt}</small></> : "—"}</td>
                <td>
                  <form method="post" action={`/console/department/adapters/${a.id}/check${q}`}>
                    <Csrf token={session.csrf} />
                    <button type="submit" class="run-check"><T k="runCheck" /></button>
                  </form>
                  <form method="post" action={`/console/department/adapters/${a.id}/enabled${q}`}>
                    <input type="hidden" name="enabled" value={a.enabled ? "false" : "true"} />
                    <Csrf token={session.csrf} />
                    <button type="submit" class="toggle"><T k={a.enabled ? "disable" : "enable"} /></button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {view.adapters.map((a) => (
        <details class="versions">
          <summary><T k="versions" />: {a.id} ({a.versions.length})</summary>
          <table class="entries">
            <thead>
              <tr>
                <th scope="col"><T k="version" /></th>
                <th scope="col"><T k="state" /></th>
                <th scope="col"><T k="evidenceTypes" /></th>
                <th scope="col"><T k="changedBy" /></th>
                <th scope="col"><T k="time" /></th>
              </tr>
            </thead>
            <tbody>
              {[...a.versions].reverse().map((v) => (
                <tr>
                  <td>{v.version}</td>
                  <td><T k={v.enabled ? "stateEnabled" : "stateDisabled"} /></td>
                  <td>{v.evidenceTypes.join(", ")}</td>
                  <td>{v.changedBy ?? "—"}</td>
                  <td>{v.createdAt}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ))}
      <h2><T k="callers" /></h2>
      {view.callers.length === 0 ? (
        <p><T k="noCallers" /></p>
      ) : (
        <table class="entries callers">
          <thead>
            <tr>
              <th scope="col"><T k="requester" /></th>
              <th scope="col"><T k="matter" /></th>
              <th scope="col"><T k="asked" /></th>
              <th scope="col"><T k="answered" /></th>
            </tr>
          </thead>
          <tbody>
            {view.callers.map((r) => (
              <tr>
                <td>{r.window}</td>
                <td>{r.matter}</td>
                <td>{r.asked}</td>
                <td>{r.answered}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/**
 * Administration (admin): members, adapters, matters, evidence types and policies — a list per
 * resource and an editor per record holding the API's PUT body as JSON. Saving shows the diff
 * first (ConfirmPage); nothing is stored until Apply. A member's page also maps its staff's
 * sign-in identities, and a policy's page runs a dry run.
 */
import { Layout } from "./layout.tsx";
import { Csrf } from "./forms.tsx";
import { T, tt, type MessageKey } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";
import type { ConsoleIdentity } from "../../members/console-identities.ts";
import type { DryRunResult } from "../../verification/dry-run.ts";
import { RESOURCES, type ResourceName } from "../admin/resources.ts";

export const AdminNav = ({ current }: { current?: ResourceName }) => (
  <nav aria-label={tt("administration")} class="subnav">
    <ul>
      {RESOURCES.map((r) => (
        <li>
          <a href={`/console/admin/${r}`} aria-current={r === current ? "page" : undefined}>
            <T k={LABELS[r]} />
          </a>
        </li>
      ))}
    </ul>
  </nav>
);

export const LABELS: Record<ResourceName, MessageKey> = { members: "members", adapters: "adapters", matters: "matters", "evidence-types": "evidenceTypes", policies: "policies" };

export function AdminListPage(props: { session: ConsoleSession; resource: ResourceName; columns: MessageKey[]; rows: { id: string; cells: string[] }[] }) {
  return (
    <Layout title="administration" session={props.session}>
      <AdminNav current={props.resource} />
      <h2><T k={LABELS[props.resource]} /></h2>
      <table class="entries records">
        <thead>
          <tr>
            <th scope="col"><T k="id" /></th>
            {props.columns.map((c) => <th scope="col"><T k={c} /></th>)}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr data-id={r.id}>
              <td><a href={`/console/admin/${props.resource}/${encodeURIComponent(r.id)}`}>{r.id}</a></td>
              {r.cells.map((c) => <td>{c}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      <form method="get" action={`/console/admin/${props.resource}/new`} class="actions">
        <label>
          <T k="id" />
          <input name="id" required maxlength={64} />
        </label>
        <button type="submit"><T k="newRecord" /></button>
      </form>
    </Layout>
  );
}

export interface EditView {
  resource: ResourceName;
  id: string;
  document: string;
  exists: boolean;
  identities?: ConsoleIdentity[] | undefined;
  /** A department's grants (PROTOCOL §4), edited on its member page. */
  grants?: { evidenceTypes: string[]; hosts: string[] } | undefined;
  dryRun?: { input: Record<string, string>; result?: DryRunResult | undefined; error?: string | undefined } | undefined;
  windows?: string[] | undefined;
}

export function AdminEditPage({ session, view }: { session: ConsoleSession; view: EditView }) {
  const path = `/console/admin/${view.resource}/${encodeURIComponent(view.id)}`;
  return (
    <Layout title="administration" session={session}>
      <AdminNav current={view.resource} />
      <h2>
        <T k={view.exists ? "edit" : "newRecord"} />: {view.id}
      </h2>
      <form method="post" action={path} class="editor">
        <label>
          <T k="document" />
          <textarea name="document" rows={Math.min(30, Math.max(8, view.document.split("\n").length + 1))} spellcheck={false}>{view.document}</textarea>
        </label>
        <Csrf token={session.csrf} />
        <button type="submit" id="show-diff"><T k="showDiff" /></button>
      </form>
      {view.resource === "members" && view.exists && (
        <>
          <section aria-labelledby="grants-h">
            <h2 id="grants-h"><T k="grants" /></h2>
            {view.grants ? (
              <form method="post" action={`${path}/grants`} class="editor grants-form" id="grants">
                <p><T k="grantsHelp" /></p>
                <label>
                  <T k="grantsEvidenceTypes" />
                  <textarea name="evidenceTypes" rows={Math.max(3, view.grants.evidenceTypes.length + 1)} spellcheck={false}>{view.grants.evidenceTypes.join("\n")}</textarea>
                </label>
                <label>
                  <T k="grantsHosts" />
                  <textarea name="hosts" rows={Math.max(3, view.grants.hosts.length + 1)} spellcheck={false}>{view.grants.hosts.join("\n")}</textarea>
                </label>
                <Csrf token={session.csrf} />
                <button type="submit"><T k="showDiff" /></button>
              </form>
            ) : (
              <p id="grants"><T k="grantsOnlyDepartments" /></p>
            )}
          </section>
          <section aria-labelledby="identities-h">
            <h2 id="identities-h"><T k="identities" /></h2>
            <table class="entries identities">
              <thead><tr><th scope="col"><T k="issuer" /></th><th scope="col"><T k="subject" /></th><th scope="col"><T k="uid" /></th><th scope="col"><T k="state" /></th><th scope="col"><T k="changedBy" /></th></tr></thead>
              <tbody>
                {(view.identities ?? []).map((i) => (
                  <tr><td>{i.issuer || "—"}</td><td>{i.subject}</td><td>{i.uid}</td><td>{i.enabled ? "✓" : "✗"}</td><td>{i.changedBy}</td></tr>
                ))}
              </tbody>
            </table>
            <form method="post" action={`${path}/identities`} class="actions identity-form">
              <label><T k="issuer" /><input name="issuer" maxlength={512} /></label>
              <label><T k="subject" /><input name="subject" required maxlength={255} /></label>
              <label><T k="uid" /><input name="uid" required maxlength={64} /></label>
              <label><T k="state" /><select name="enabled"><option value="true">{tt("enable")}</option><option value="false">{tt("disable")}</option></select></label>
              <Csrf token={session.csrf} />
              <button type="submit"><T k="addIdentity" /></button>
            </form>
          </section>
        </>
      )}
      {view.resource === "policies" && view.exists && view.dryRun && <DryRunSection session={session} path={path} dry={view.dryRun} windows={view.windows ?? []} />}
    </Layout>
  );
}

function DryRunSection({ session, path, dry, windows }: { session: ConsoleSession; path: string; dry: NonNullable<EditView["dryRun"]>; windows: string[] }) {
  const v = dry.input;
  return (
    <section aria-labelledby="dry-h">
      <h2 id="dry-h"><T k="dryRun" /></h2>
      <p><T k="dryRunHelp" /></p>
      <form method="post" action={`${path}/dry-run`} class="actions dry-run">
        <label>
          <T k="window" />
          <select name="requester">
            {windows.map((w) => <option value={w} selected={w === v.requester}>{w}</option>)}
          </select>
        </label>
        <label><T k="uid" /><input name="uid" maxlength={64} value={v.uid ?? ""} /></label>
        <label><T k="matter" /><input name="matter" required maxlength={64} value={v.matter ?? ""} /></label>
        <label><T k="evidenceTypesList" /><input name="evidence" maxlength={1000} value={v.evidence ?? ""} /></label>
        <label><T k="at" /><input name="at" type="datetime-local" value={v.at ?? ""} /></label>
        <Csrf token={session.csrf} />
        <button type="submit"><T k="runDryRun" /></button>
      </form>
      {dry.error && <p role="alert" class="error">{dry.error}</p>}
      {dry.result && (
        <table class="entries dry-run-result">
          <thead><tr><th scope="col"><T k="evidenceType" /></th><th scope="col"><T k="permit" /></th><th scope="col"><T k="policyBasis" /></th><th scope="col"><T k="reasons" /></th><th scope="col"><T k="fields" /></th><th scope="col"><T k="policyVersion" /></th><th scope="col"><T k="adapter" /></th></tr></thead>
          <tbody>
            {dry.result.items.map((i) => (
              <tr data-type={i.type}>
                <td>{i.type}</td>
                <td class={i.permit ? "ok" : "bad"}>{i.permit ? "✓ 允许 permit" : "✗ 拒绝 deny"}</td>
                <td>{[i.basis, i.citation].filter(Boolean).join(" · ") || "—"}</td>
                <td>{i.explanations.join("; ") || i.reasons.join(", ") || "—"}</td>
                <td>{i.fields.join(", ") || "—"}</td>
                <td>{i.policyVersion ?? "—"}</td>
                <td>{i.adapter ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The one layout: header with the signed-in staff member, navigation by member kind, main. */
import type { Child } from "hono/jsx";
import type { ConsoleSession } from "../session.ts";
import { T, tt, type MessageKey } from "../i18n/t.tsx";
import type { MemberKind } from "../../members/members.ts";

/** Which pages each member kind gets (least privilege: the routes check the same table). */
export const PAGES: { path: string; label: MessageKey; kinds: readonly MemberKind[] }[] = [
  { path: "/console", label: "overview", kinds: ["window", "department", "auditor", "supervisor", "consent-collector", "admin"] },
  { path: "/console/access-log", label: "accessLog", kinds: ["auditor"] },
  { path: "/console/report", label: "personReport", kinds: ["auditor"] },
  { path: "/console/ledger", label: "ledger", kinds: ["auditor"] },
  { path: "/console/supervision", label: "supervision", kinds: ["supervisor", "admin"] },
  { path: "/console/department", label: "departmentPage", kinds: ["department", "admin"] },
  { path: "/console/admin", label: "administration", kinds: ["admin"] },
];

export function Layout(props: { title: MessageKey; session?: ConsoleSession | undefined; refresh?: string; children: Child }) {
  const { session } = props;
  return (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${tt(props.title)} — ${tt("appName")}`}</title>
        <link rel="stylesheet" href="/console/static/console.css" />
        {props.refresh && <meta http-equiv="refresh" content={`0;url=${props.refresh}`} />}
      </head>
      <body>
        <header class="top">
          <span class="brand">
            <T k="appName" />
          </span>
          {session && (
            <>
              <nav aria-label={tt("nav")}>
                <ul>
                  {PAGES.filter((p) => p.kinds.includes(session.kind)).map((p) => (
                    <li>
                      <a href={p.path}>
                        <T k={p.label} />
                      </a>
                    </li>
                  ))}
                </ul>
              </nav>
              <form method="post" action="/console/logout" class="who">
                <span>
                  <T k="signedInAs" />: {session.member}/{session.uid}
                </span>
                <input type="hidden" name="csrf" value={session.csrf} />
                <button type="submit">
                  <T k="signOut" />
                </button>
              </form>
            </>
          )}
        </header>
        <main id="main">
          <h1>
            <T k={props.title} />
          </h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

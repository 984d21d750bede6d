/** The sign-in page: OpenID Connect when configured, else how to get a login link. */
import { Layout } from "./layout.tsx";
import { T } from "../i18n/t.tsx";

export const LoginPage = (props: { error?: boolean; oidc: boolean }) => (
  <Layout title="signInTitle">
    {props.error && (
      <p role="alert" class="error">
        <T k="linkInvalid" />
      </p>
    )}
    <p>
      <T k="signInHelp" />
    </p>
    {props.oidc && (
      <p>
        <a class="button" href="/console/oidc/start">
          <T k="signInOidc" />
        </a>
      </p>
    )}
    <pre class="cmd">npm run huren -- console login --key .huren/demo/&lt;member&gt;.cli.json</pre>
  </Layout>
);

/** The sign-in page: OpenID Connect when configured, else how to get a login link; and OIDC's outcomes. */
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
      <T k={props.oidc ? "signInHelp" : "signInHelpLink"} />
    </p>
    {props.oidc && (
      <p>
        <a class="button" id="oidc-sign-in" href="/console/oidc/start">
          <T k="signInOidc" />
        </a>
      </p>
    )}
    <pre class="cmd">npm run huren -- console login --key .huren/demo/&lt;member&gt;.cli.json</pre>
  </Layout>
);

const REFUSALS = { unknown: "oidcUnknown", expired: "oidcExpired", provider: "oidcProvider" } as const;

/** No session: the subject is not mapped to a member (403), the sign-in expired, or the provider failed. */
export const OidcRefusedPage = ({ reason }: { reason: keyof typeof REFUSALS }) => (
  <Layout title="oidcRefused">
    <p role="alert" class="error" data-reason={reason}>
      <T k={REFUSALS[reason]} />
    </p>
    <p>
      <a href="/console/login">
        <T k="backToSignIn" />
      </a>
    </p>
  </Layout>
);

/** After the provider's redirect: moves on to /console from this site, so the Strict session cookie goes along. */
export const SignedInPage = () => (
  <Layout title="signedIn" refresh="/console">
    <p>
      <a href="/console">
        <T k="continue" />
      </a>
    </p>
  </Layout>
);

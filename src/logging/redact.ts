/**
 * Paths blanked in every log event, on Node (pino's `redact`) and on Workers (the same engine,
 * @pinojs/redact). A safety net, not the rule: the gateway's events are built to hold no person
 * data and no credentials, and test/logs.security.test.ts proves it over every route. These
 * paths catch a field that slips in later under an obvious name.
 */
const SENSITIVE = [
  // credentials
  "authorization",
  "token",
  "jws",
  "secret",
  "privateKey",
  "cookie",
  // person data and what leads to it
  "subject",
  "name",
  "uid",
  "case",
  "caseRef",
  "consent",
  "claims",
  "body",
];

/** Each name at the top of an event and one level down (`err.subject`, `headers.authorization`). */
export const REDACT_PATHS: string[] = SENSITIVE.flatMap((k) => [k, `*.${k}`]);

export const REDACTED = "[redacted]";

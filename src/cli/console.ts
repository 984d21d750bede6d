/**
 * `huren console login --key FILE [--uid STAFF] [--gateway URL] [--ttl SECONDS]`: prints a one-time
 * console sign-in URL. The link carries a §2 token for `GET /console/login` signed with the member's
 * key: short-lived (default 120 s, at most 300) and single use (its jti is then a replay).
 */
import { parseArgs } from "node:util";
import { loadKeyFile, requestToken } from "./client.ts";
import { usage } from "./output.ts";

export const CONSOLE_USAGE = `  huren console login --key FILE [--uid STAFF] [--gateway URL] [--ttl SECONDS]   (prints a one-time console sign-in link)`;

export async function consoleCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== "login") throw usage("console needs a subcommand: login");
  const { values } = parseArgs({ args: rest, options: { key: { type: "string" }, uid: { type: "string" }, gateway: { type: "string" }, ttl: { type: "string" } } });
  if (!values.key) throw usage("console login needs --key FILE");
  const key = await loadKeyFile(values.key);
  const uid = values.uid ?? key.uid;
  if (!uid) throw usage("console login needs the staff member: --uid STAFF (or a uid in the key file)");
  const ttl = values.ttl ? Number(values.ttl) : 120;
  if (!Number.isInteger(ttl) || ttl < 10 || ttl > 300) throw usage("--ttl is 10 to 300 seconds");
  process.stdout.write(await consoleLoginUrl({ ...key, uid }, values.gateway ?? key.gateway, ttl) + "\n");
}

/** The sign-in URL for a key file's member and uid. */
export async function consoleLoginUrl(key: Parameters<typeof requestToken>[0], gateway: string, ttlSeconds = 120): Promise<string> {
  const token = await requestToken(key, "GET", "/console/login", "", ttlSeconds);
  return new URL(`/console/login?t=${token}`, gateway).toString();
}

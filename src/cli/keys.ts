/**
 * `huren keys rotate`: asks the gateway (admin key file) to make a new receipt-signing key
 * active. The old key stays published with its validity period; the rotation is a ledger entry.
 */
import { loadKeyFile, signedFetch } from "./client.ts";
import { args, UsageError } from "./ledger-io.ts";

export const KEYS_USAGE = `  huren keys rotate --admin-key FILE [--gateway URL]                         (new receipt-signing key; old ones stay valid for old receipts)`;

/**
 * Runs `huren keys <verb> …`, setting process.exitCode (0 ok, 1 refused, 2 usage).
 * @example
 * await keysCommand(["rotate", "--admin-key", "admin.json"]);
 */
export async function keysCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  try {
    if (verb !== "rotate") throw new UsageError(verb === undefined ? "name a verb" : `unknown verb ${verb}`);
    const { values } = args(rest, { "admin-key": { type: "string" }, gateway: { type: "string" } });
    if (!values["admin-key"]) throw new UsageError("--admin-key is required (a key file of an admin member)");
    const key = await loadKeyFile(values["admin-key"]).catch((err: unknown) => Promise.reject(new UsageError(err instanceof Error ? err.message : String(err))));
    const res = await signedFetch(key, "POST", "/v1/keys/rotate", undefined, values.gateway ?? key.gateway);
    if (res.status !== 200) {
      process.stdout.write(`FAIL: HTTP ${res.status} ${JSON.stringify(res.body)}\n`);
      process.exitCode = 1;
      return;
    }
    const body = res.body as { kid: string; previousKid: string | null; ledger: { index: number; leafHash: string } | null };
    process.stdout.write(`OK  receipts are now signed with key ${body.kid}${body.previousKid ? ` (was ${body.previousKid}, still published for the receipts it signed)` : ""}\n`);
    if (body.ledger) process.stdout.write(`    recorded as ledger entry ${body.ledger.index} (leaf ${body.ledger.leafHash})\n`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`huren keys: ${err.message}\nusage:\n${KEYS_USAGE}\n`);
    process.exitCode = 2;
  }
}

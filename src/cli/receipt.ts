/**
 * `huren receipt verify`: checks a receipt and its proof bundle (§5.3) offline — no network at
 * all, only files and keys the holder pinned. Exit 0 verified, 1 a check failed (each failed
 * check is printed as `FAIL <step>: <problem> — <detail>`), 2 usage.
 */
import type { JSONWebKeySet } from "jose";
import { parseCosignerKey } from "../ledger/cosignature.ts";
import { verifyReceiptBundle } from "../ledger/verify-bundle.ts";
import { args, need, readJson, readKey, readText, UsageError } from "./ledger-io.ts";

export const RECEIPT_USAGE = `  huren receipt verify RECEIPT.jws --proof FILE.tlog-proof --jwks FILE.json --key KEY
               [--witness VKEY|@FILE]... [--quorum K] [--json]               (offline: signature, inclusion, witnesses)`;

const out = (line: string) => process.stdout.write(line + "\n");

async function verifyCommand(argv: string[]) {
  const { values, positionals } = args(
    argv,
    {
      proof: { type: "string" },
      jwks: { type: "string" },
      key: { type: "string" },
      witness: { type: "string", multiple: true },
      quorum: { type: "string" },
      json: { type: "boolean", default: false },
    },
    true,
  );
  if (positionals.length !== 1) throw new UsageError("name exactly one receipt file");
  const logKey = await readKey(values.key);
  const witnessTexts = await Promise.all((values.witness ?? []).map(async (w) => (w.startsWith("@") ? (await readText(w.slice(1))).trim() : w)));
  const witnesses = witnessTexts.map((w) => {
    try {
      return parseCosignerKey(w.trim());
    } catch (err) {
      throw new UsageError(`--witness: ${(err as Error).message}`);
    }
  });
  const quorum = values.quorum === undefined ? witnesses.length : Number(values.quorum);
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > witnesses.length) throw new UsageError(`--quorum must be between 0 and the number of --witness keys (${witnesses.length})`);
  const [receipt, proof, jwks] = await Promise.all([readText(positionals[0]!), readText(need(values.proof, "--proof")), readJson(need(values.jwks, "--jwks"))]);
  const steps = await verifyReceiptBundle({ receipt: receipt.trim(), proof, jwks: jwks as JSONWebKeySet, logKey, witnesses, quorum });
  const ok = steps.every((s) => s.ok) && steps.some((s) => s.step === "inclusion" && s.ok);
  if (values.json) out(JSON.stringify({ ok, steps }));
  else for (const s of steps) out(s.ok ? `OK    ${s.step}: ${s.detail}` : `FAIL  ${s.step}: ${s.problem} — ${s.detail}`);
  if (!ok) process.exitCode = 1;
}

/**
 * Runs `huren receipt <verb> …`, setting process.exitCode (0 ok, 1 failed, 2 usage).
 * @example
 * await receiptCommand(["verify", "r.jws", "--proof", "r.tlog-proof", "--jwks", "jwks.json", "--key", "@ledger.key"]);
 */
export async function receiptCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  try {
    if (verb !== "verify") throw new UsageError(verb === undefined ? "name a verb" : `unknown verb ${verb}`);
    await verifyCommand(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`huren receipt: ${err.message}\nusage:\n${RECEIPT_USAGE}\n`);
    process.exitCode = 2;
  }
}

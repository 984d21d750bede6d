/**
 * `huren ledger fetch`: downloads what the offline verbs need from a gateway — the note key,
 * the current signed checkpoint, the receipt JWKS, the export up to the checkpoint's size, and
 * optionally a consistency proof from an older checkpoint and a receipt's inclusion proof.
 *
 * Fetching proves nothing by itself: the gateway could serve anything. The checks happen
 * offline, against a key the auditor pinned (`--key`), so a fetch that saw a different key fails.
 */
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { decodeJwt } from "jose";
import { parseVerifierKey } from "../ledger/note.ts";
import { checkCheckpoint } from "../ledger/verify-export.ts";
import { loadKeyFile, requestToken, type KeyFile } from "./client.ts";
import { args, readKey, readText, UsageError } from "./ledger-io.ts";

export const FETCH_USAGE = `  huren ledger fetch --auditor-key FILE [--gateway URL] [--out DIR] [--key KEY]
               [--since OLD_CHECKPOINT] [--receipt FILE.jws] [--from-index N]
               [--purpose REF]                                                    (download for offline checks)`;

const out = (line: string) => process.stdout.write(line + "\n");

async function get(gateway: string, path: string, auth?: KeyFile): Promise<Response> {
  const headers = auth ? { authorization: `Bearer ${await requestToken(auth, "GET", path, "")}` } : undefined;
  const res = await fetch(new URL(path, gateway), headers ? { headers } : {});
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return res;
}

/**
 * Downloads key, checkpoint, JWKS, export and optional proofs into `--out` (default ".").
 * @example
 * await fetchCommand(["--auditor-key", "audit-office.json", "--key", "@pinned.key", "--since", "checkpoint-4000.txt"]);
 */
export async function fetchCommand(argv: string[]): Promise<void> {
  const { values } = args(argv, {
    "auditor-key": { type: "string" },
    gateway: { type: "string" },
    out: { type: "string", default: "." },
    key: { type: "string" },
    since: { type: "string" },
    receipt: { type: "string" },
    "from-index": { type: "string" },
    // The export is ledgered with a purpose (§5.4); a whole-ledger check needs no case of its own.
    purpose: { type: "string", default: "ledger verification" },
  });
  if (!values["auditor-key"]) throw new UsageError("--auditor-key is required (a key file of an auditor member)");
  const auth = await loadKeyFile(values["auditor-key"]).catch((err: unknown) => {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  });
  const gateway = values.gateway ?? auth.gateway;
  const fromIndex = values["from-index"] === undefined ? undefined : Number(values["from-index"]);
  if (fromIndex !== undefined && !(Number.isSafeInteger(fromIndex) && fromIndex >= 0)) throw new UsageError("--from-index must be a non-negative integer");
  const pinned = values.key ? await readKey(values.key) : undefined;
  const older = values.since ? await readText(values.since) : undefined;
  const receipt = values.receipt ? (await readText(values.receipt)).trim() : undefined;
  const dir = values.out;
  await mkdir(dir, { recursive: true });
  const save = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };

  const keyText = (await (await get(gateway, "/v1/ledger/key")).text()).trim();
  const key = parseVerifierKey(keyText);
  if (pinned && (pinned.name !== key.name || Buffer.compare(pinned.publicKey, key.publicKey) !== 0)) {
    out(`FAIL: the gateway's ledger key is ${keyText}, not the pinned key ${pinned.name}+${pinned.keyHash.toString(16).padStart(8, "0")}`);
    process.exitCode = 1;
    return;
  }
  const keyPath = await save("ledger.key", keyText + "\n");
  const note = await (await get(gateway, "/v1/ledger/checkpoint")).text();
  const opened = await checkCheckpoint(note, key);
  if (!opened.ok) {
    out(`FAIL: the gateway's checkpoint: ${opened.problem} — ${opened.detail}`);
    process.exitCode = 1;
    return;
  }
  const size = opened.checkpoint.size;
  const files = [keyPath, await save(`checkpoint-${size}.txt`, note), await save("jwks.json", await (await get(gateway, "/.well-known/jwks.json")).text())];

  // Up to the checkpoint's size, so the export and the checkpoint describe the same tree.
  const range = `&purpose=${encodeURIComponent(values.purpose!)}${fromIndex !== undefined ? `&fromIndex=${fromIndex}` : ""}&toIndex=${size}`;
  const exportPath = join(dir, fromIndex !== undefined ? `entries-${fromIndex}-${size}.jsonl` : `entries-${size}.jsonl`);
  const res = await get(gateway, `/v1/audit/export?format=jsonl${range}`, auth);
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(exportPath));
  files.push(exportPath);

  if (older !== undefined) {
    const old = await checkCheckpoint(older, key);
    if (!old.ok) throw new UsageError(`--since: ${old.problem} — ${old.detail}`);
    const m = old.checkpoint.size;
    const proof = await (await get(gateway, `/v1/ledger/proofs/consistency?from=${Math.min(m, size)}&to=${Math.max(m, size)}`, auth)).text();
    files.push(await save(`consistency-${m}-${size}.json`, proof));
  }
  if (receipt !== undefined) {
    let index: unknown;
    try {
      index = (decodeJwt(receipt) as { ledger?: { index?: unknown } }).ledger?.index;
    } catch {
      throw new UsageError("--receipt is not a JWS");
    }
    if (typeof index !== "number") throw new UsageError("--receipt has no ledger index");
    const proof = await (await get(gateway, `/v1/ledger/proofs/inclusion?index=${index}&size=${size}`, auth)).text();
    files.push(await save(`inclusion-${index}-${size}.json`, proof));
  }
  out(`fetched checkpoint of size ${size} from ${gateway}:`);
  for (const f of files) out(`  ${f}`);
  if (!pinned) out(`the ledger key was taken from the gateway itself: compare ${keyText} with the copy you hold, then pass --key`);
}

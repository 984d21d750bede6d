/**
 * `huren ledger <verb>`: the auditor's offline verifier. Everything but `fetch` works on files
 * alone, with the ledger's verifier key obtained out of band, so a verdict never depends on
 * trusting the gateway that produced the data.
 *
 * Exit codes: 0 verified, 1 verification failed (the output names what and where), 2 usage
 * (missing arguments, unreadable files, a malformed key).
 */
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import cliProgress from "cli-progress";
import type { JSONWebKeySet } from "jose";
import type { Checkpoint, VerifierKey } from "../ledger/note.ts";
import { checkCheckpoint, checkConsistency, checkReceiptInclusion, splitLines, verifyExport, type Check, type TreeState } from "../ledger/verify-export.ts";
import { fetchCommand, FETCH_USAGE } from "./ledger-fetch.ts";
import { tilesCommand, TILES_USAGE } from "./ledger-tiles.ts";
import { args, need, readJson, readKey, readText, UsageError } from "./ledger-io.ts";

export const LEDGER_USAGE = `  huren ledger checkpoint --key KEY FILE                                  (check a checkpoint's signature)
  huren ledger verify --key KEY --checkpoint FILE [--checkpoint FILE]... --entries FILE.jsonl|-
               [--resume STATE.json] [--save-state STATE.json] [--strict] [--progress] [--json]
  huren ledger consistency --key KEY --old FILE --new FILE --proof FILE.json
  huren ledger inclusion --key KEY --checkpoint FILE --receipt FILE.jws --jwks FILE.json --proof FILE.json
               [--subject TYPE:ID --opening B64URL]        (also: the receipt is about this subject)
${FETCH_USAGE}
${TILES_USAGE}
               KEY is the note verifier key text (name+hash+key) or @FILE holding it`;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const out = (line: string) => process.stdout.write(line + "\n");

/** Prints a failed check and sets exit code 1; returns the value when it passed. */
function report<T extends object>(what: string, check: Check<T>): (T & { ok: true }) | undefined {
  if (check.ok) return check;
  out(`FAIL: ${what}: ${check.problem} — ${check.detail}`);
  process.exitCode = 1;
  return undefined;
}

async function openCheckpointFile(path: string, key: VerifierKey): Promise<Checkpoint | undefined> {
  return report(path, await checkCheckpoint(await readText(path), key))?.checkpoint;
}

async function checkpointCommand(argv: string[]) {
  const { values, positionals } = args(argv, { key: { type: "string" } }, true);
  const key = await readKey(values.key);
  if (positionals.length === 0) throw new UsageError("name at least one checkpoint file");
  for (const path of positionals) {
    const cp = await openCheckpointFile(path, key);
    if (cp) out(`OK  ${path}: ${cp.origin} size ${cp.size} root ${b64(cp.rootHash)} (signed by ${key.name}+${key.keyHash.toString(16).padStart(8, "0")})`);
  }
}

function progressBar(enabled: boolean, total: number) {
  if (!enabled) return { update: (_n: number) => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: "verifying |{bar}| {percentage}% | {value}/{total} entries | {rate} entries/s | ETA {eta_formatted}",
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 2000,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(Math.max(total, 1), 0, { rate: 0 });
  return {
    update(n: number) {
      if (n > bar.getTotal()) bar.setTotal(n);
      bar.update(n, { rate: Math.round(n / Math.max(0.001, (performance.now() - started) / 1000)) });
    },
    stop: () => bar.stop(),
  };
}

async function readState(path: string): Promise<TreeState & { origin?: string }> {
  const state = (await readJson(path)) as TreeState & { origin?: string };
  if (!Number.isSafeInteger(state?.size) || !Array.isArray(state.peaks)) throw new UsageError(`${path} is not a saved tree state`);
  return state;
}

async function verifyCommand(argv: string[]) {
  const { values } = args(argv, {
    key: { type: "string" },
    checkpoint: { type: "string", multiple: true },
    entries: { type: "string" },
    resume: { type: "string" },
    "save-state": { type: "string" },
    strict: { type: "boolean", default: false },
    progress: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  });
  const key = await readKey(values.key);
  const files = need(values.checkpoint, "--checkpoint");
  const entries = need(values.entries, "--entries");
  const checkpoints: Checkpoint[] = [];
  for (const path of files) {
    const cp = await openCheckpointFile(path, key);
    if (!cp) return;
    checkpoints.push(cp);
  }
  const start = values.resume ? await readState(values.resume) : undefined;
  if (start?.origin !== undefined && start.origin !== key.name) throw new UsageError(`${values.resume} is a state of ${start.origin}, not ${key.name}`);
  const input = entries === "-" ? process.stdin : createReadStream(entries, { highWaterMark: 1 << 20 });
  const opened = new Promise<void>((resolve, reject) => {
    if (input === process.stdin) return resolve();
    input.once("open", () => resolve()).once("error", (err: NodeJS.ErrnoException) => reject(new UsageError(`cannot read ${entries}: ${err.code ?? err.message}`)));
  });
  await opened;

  const total = Math.max(0, ...checkpoints.map((c) => c.size));
  const bar = progressBar(process.stderr.isTTY === true || values.progress, total);
  const started = performance.now();
  let result;
  try {
    result = await verifyExport(splitLines(input), {
      checkpoints,
      strict: values.strict,
      onProgress: (n) => bar.update(n),
      progressEvery: 20_000,
      ...(start ? { start: { size: start.size, peaks: start.peaks } } : {}),
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  if (values["save-state"] && result.ok) await writeFile(values["save-state"], JSON.stringify({ origin: key.name, ...result.state }) + "\n");
  if (values.json) out(JSON.stringify({ ...result, seconds }));
  else if (result.ok) {
    const resumed = start ? ` (resumed from the tree state at ${start.size})` : "";
    out(`OK  ${result.checked} entries checked in ${seconds.toFixed(1)} s; the first ${result.verifiedSize} reproduce ${checkpoints.length === 1 ? "the checkpoint's root" : `the roots of ${checkpoints.length} checkpoints`}${resumed}`);
    if (result.uncovered > 0) out(`    ${result.uncovered} later entries are well-formed but no given checkpoint covers them yet`);
    if (values["save-state"]) out(`    tree state at ${result.state.size} saved to ${values["save-state"]}: next time, export from index ${result.state.size} and pass --resume`);
  } else {
    const bad = result.firstBad!;
    out(`FAIL at index ${bad.index}: ${bad.problem} — ${bad.detail}`);
  }
  if (!result.ok) process.exitCode = 1;
}

async function consistencyCommand(argv: string[]) {
  const { values } = args(argv, { key: { type: "string" }, old: { type: "string" }, new: { type: "string" }, proof: { type: "string" } });
  const key = await readKey(values.key);
  const [oldPath, newPath, proofPath] = [need(values.old, "--old"), need(values.new, "--new"), need(values.proof, "--proof")];
  const older = await openCheckpointFile(oldPath, key);
  const newer = await openCheckpointFile(newPath, key);
  if (!older || !newer) return;
  if (older.size > newer.size) throw new UsageError(`--old has size ${older.size}, larger than --new (${newer.size}); swap them`);
  if (report("consistency", checkConsistency(older, newer, await readJson(proofPath)))) {
    out(`OK  the tree of ${older.size} entries (${oldPath}) is a prefix of the tree of ${newer.size} entries (${newPath})`);
  }
}

async function inclusionCommand(argv: string[]) {
  const { values } = args(argv, { key: { type: "string" }, checkpoint: { type: "string" }, receipt: { type: "string" }, jwks: { type: "string" }, proof: { type: "string" }, subject: { type: "string" }, opening: { type: "string" } });
  const key = await readKey(values.key);
  let subject: { type: string; id: string; opening: string } | undefined;
  if (values.subject !== undefined || values.opening !== undefined) {
    const [type, ...id] = need(values.subject, "--subject").split(":");
    subject = { type: type!, id: id.join(":"), opening: need(values.opening, "--opening") };
  }
  const cpPath = need(values.checkpoint, "--checkpoint");
  const [receipt, jwks, proof] = await Promise.all([readText(need(values.receipt, "--receipt")), readJson(need(values.jwks, "--jwks")), readJson(need(values.proof, "--proof"))]);
  const checkpoint = await openCheckpointFile(cpPath, key);
  if (!checkpoint) return;
  const check = report("receipt", await checkReceiptInclusion({ receipt, jwks: jwks as JSONWebKeySet, checkpoint, proof, ...(subject ? { subject } : {}) }));
  if (check && subject) out(`OK  receipt ${String(check.payload.jti ?? "")} is about the ${subject.type} given (its subject commitment opens with the opening given)`);
  if (check) out(`OK  receipt ${String(check.payload.jti ?? "")} is entry ${check.index} (leaf ${check.leafHash}), included in the tree of ${checkpoint.size} entries (${cpPath})`);
}

/**
 * Runs `huren ledger <verb> …`, setting process.exitCode (0 ok, 1 failed, 2 usage).
 * @example
 * await ledgerCommand(["verify", "--key", "@ledger.key", "--checkpoint", "cp.txt", "--entries", "ledger.jsonl"]);
 */
export async function ledgerCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const verbs: Record<string, (a: string[]) => Promise<void>> = {
    checkpoint: checkpointCommand,
    verify: verifyCommand,
    consistency: consistencyCommand,
    inclusion: inclusionCommand,
    fetch: fetchCommand,
    tiles: tilesCommand,
  };
  const run = verb === undefined ? undefined : verbs[verb];
  try {
    if (!run) throw new UsageError(verb === undefined ? "name a verb" : `unknown verb ${verb}`);
    await run(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`huren ledger: ${err.message}\nusage:\n${LEDGER_USAGE}\n`);
    process.exitCode = 2;
  }
}

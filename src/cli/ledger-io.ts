/**
 * Argument and file helpers shared by the `huren ledger` verbs: every way a command can be
 * called wrongly becomes a UsageError, which the CLI turns into exit code 2.
 */
import { readFile } from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { NoteError, parseVerifierKey, type VerifierKey } from "../ledger/note.ts";

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}

/**
 * parseArgs, strict, with its errors as UsageError.
 * @example
 * const { values } = args(argv, { key: { type: "string" } });
 */
export function args<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * The value of a required flag.
 * @example
 * const path = need(values.entries, "--entries");
 */
export function need<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
}

/**
 * A file's text; a missing or unreadable file is a UsageError.
 * @example
 * const note = await readText("checkpoint-4712.txt");
 */
export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * A JSON file, parsed; not JSON is a UsageError.
 * @example
 * const proof = await readJson("consistency-4000-4712.json");
 */
export async function readJson(path: string): Promise<unknown> {
  const text = await readText(path);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${path} is not JSON`);
  }
}

/**
 * The note verifier key from `--key`: the key text itself or `@file`.
 * @example
 * const key = await readKey("@ledger.key"); // { name: "huren.changchun.gov.cn/ledger", … }
 */
export async function readKey(value: string | undefined): Promise<VerifierKey> {
  const text = need(value, "--key");
  const keyText = (text.startsWith("@") ? await readText(text.slice(1)) : text).trim();
  try {
    return parseVerifierKey(keyText);
  } catch (err) {
    throw new UsageError(`--key: ${err instanceof NoteError ? err.message : String(err)}`);
  }
}


/**
 * A signed session for the role commands: the key file (`--key FILE`, the `.cli.json` format),
 * the gateway, and `api()` which sends a signed request and turns a problem into a CliError.
 */
import { readFile } from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadKeyFile, signedFetch, type KeyFile } from "./client.ts";
import { CliError, problemLine, usage } from "./output.ts";

export interface Session {
  key: KeyFile;
  gateway: string;
  json: boolean;
  /** Signed request; resolves with the parsed body of a 2xx answer, else throws the problem as one line. */
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  /** The same, without throwing: for commands that report the status themselves. */
  raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

const common = {
  key: { type: "string" },
  gateway: { type: "string" },
  json: { type: "boolean", default: false },
} as const;

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with the shared --key/--gateway/--json; unknown flags are usage errors. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  return parseArgs({ args: argv, options: { ...common, ...options }, allowPositionals, strict: true });
}

export async function openSession(values: { key?: string | boolean | undefined; gateway?: string | boolean | undefined; json?: string | boolean | undefined }): Promise<Session> {
  if (typeof values.key !== "string") throw usage("--key FILE is required (a member key file, e.g. .huren/demo/demo-admin.cli.json)");
  let key: KeyFile;
  try {
    key = await loadKeyFile(values.key);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw usage(e.code === "ENOENT" ? `${values.key}: no such key file` : e instanceof SyntaxError ? `${values.key}: not valid JSON` : String(e.message));
  }
  const gateway = typeof values.gateway === "string" ? values.gateway : key.gateway;
  if (!gateway) throw usage(`${values.key} names no gateway: pass --gateway URL`);
  const raw = (method: string, path: string, body?: unknown) => signedFetch(key, method, path, body, gateway);
  return {
    key,
    gateway,
    json: values.json === true,
    raw,
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await raw(method, path, body);
      if (res.status < 200 || res.status > 299) throw new CliError(problemLine(res.status, res.body));
      return res.body as T;
    },
  };
}

/** Reads a JSON file given on the command line; a missing or broken file is a usage error. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw usage(`${path}: ${(err as { code?: string }).code === "ENOENT" ? "no such file" : "cannot read"}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw usage(`${path}: not valid JSON`);
  }
}

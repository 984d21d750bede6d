/**
 * `huren witness` (PROTOCOL §5.2): a C2SP tlog-witness server another agency runs with one
 * command. Its Ed25519 key is generated on first start and kept sealed in its database (the
 * sealing secret in the data dir, or HUREN_WITNESS_SECRET with --database), or given by --key.
 */
import { parseArgs } from "node:util";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { parseVerifierKey, type VerifierKey } from "../ledger/note.ts";
import { cosignerFromJwk, generateCosignerJwk, type CosignerSigner } from "../ledger/cosignature.ts";
import { openWitnessStore, sealer, type WitnessStore } from "./store.ts";
import { createWitnessApp } from "./server.ts";

export const WITNESS_USAGE = `  huren witness --listen HOST:PORT --name NAME --log ORIGIN=VKEY [--log …] [--key FILE]
                [--data DIR | --database URL]   (a C2SP tlog-witness; prints "witness vkey: …" when ready)`;

export interface WitnessOptions {
  host: string;
  port: number;
  name: string;
  logs: Map<string, VerifierKey[]>;
  keyFile?: string | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
}

export function parseWitnessArgs(argv: string[]): WitnessOptions {
  const { values } = parseArgs({
    args: argv,
    options: { listen: { type: "string" }, name: { type: "string" }, log: { type: "string", multiple: true }, key: { type: "string" }, data: { type: "string" }, database: { type: "string" } },
  });
  const listen = /^(.+):(\d{1,5})$/.exec(values.listen ?? "");
  if (!listen || Number(listen[2]) > 65535) throw new Error(`witness needs --listen HOST:PORT\n${WITNESS_USAGE}`);
  if (!values.name) throw new Error(`witness needs --name\n${WITNESS_USAGE}`);
  if (!values.log?.length) throw new Error(`witness needs at least one --log ORIGIN=VKEY\n${WITNESS_USAGE}`);
  if (values.data && values.database) throw new Error("witness takes --data or --database, not both");
  const logs = new Map<string, VerifierKey[]>();
  for (const log of values.log) {
    const eq = log.indexOf("=");
    if (eq <= 0) throw new Error(`--log must be ORIGIN=VKEY, got "${log}"`);
    const origin = log.slice(0, eq);
    logs.set(origin, [...(logs.get(origin) ?? []), parseVerifierKey(log.slice(eq + 1))]);
  }
  return {
    host: listen[1]!.replace(/^\[(.*)\]$/, "$1"),
    port: Number(listen[2]),
    name: values.name,
    logs,
    keyFile: values.key,
    dataDir: values.database ? undefined : (values.data ?? ".huren-witness"),
    databaseUrl: values.database,
  };
}

/** The data dir's sealing secret, created on first start (mode 0600), never in the database. */
async function dataDirSecret(dir: string): Promise<string> {
  const file = join(dir, "witness.secret");
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    await writeFile(file, secret + "\n", { mode: 0o600, flag: "wx" });
    return secret;
  }
}

async function loadSigner(options: WitnessOptions, store: WitnessStore, env: Record<string, string | undefined>): Promise<CosignerSigner> {
  if (options.keyFile) return cosignerFromJwk(options.name, JSON.parse(await readFile(options.keyFile, "utf8")));
  const secret = options.dataDir ? await dataDirSecret(options.dataDir) : env.HUREN_WITNESS_SECRET;
  if (!secret) throw new Error("with --database, set HUREN_WITNESS_SECRET (base64url of 32 random bytes, e.g. `huren secret`) to seal the witness key, or pass --key");
  const seal = await sealer(secret);
  let sealed = await store.sealedKey(options.name);
  if (!sealed) sealed = await store.putSealedKey(options.name, await seal.seal(await generateCosignerJwk()));
  return cosignerFromJwk(options.name, await seal.unseal(sealed));
}

export interface RunningWitness {
  url: string;
  vkey: string;
  close(): Promise<void>;
}

/**
 * @example
 * const w = await startWitness(parseWitnessArgs(["--listen", "127.0.0.1:0", "--name", "w1", "--log", `${origin}=${vkey}`, "--data", dir]));
 */
export async function startWitness(options: WitnessOptions, env: Record<string, string | undefined> = {}): Promise<RunningWitness> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const store = await openWitnessStore(options.databaseUrl ? { url: options.databaseUrl } : { dataDir: join(options.dataDir!, "db") });
  try {
    const signer = await loadSigner(options, store, env);
    const app = createWitnessApp({
      store,
      logs: options.logs,
      signer,
      now: () => new Date(),
      onEvidence: (e) => process.stderr.write(`${JSON.stringify({ level: "error", event: "witness-refused", ...e })}\n`),
    });
    const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((done) => {
      const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, (info) => done({ server: s, port: info.port }));
    });
    const host = options.host.includes(":") ? `[${options.host}]` : options.host;
    return {
      url: `http://${host}:${port}`,
      vkey: signer.vkey,
      async close() {
        await new Promise<void>((done) => server.close(() => done()));
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

export async function witnessCommand(argv: string[]): Promise<void> {
  const witness = await startWitness(parseWitnessArgs(argv), process.env);
  process.stdout.write(`witness listening: ${witness.url}\nwitness vkey: ${witness.vkey}\n`);
  const stop = () => void witness.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/**
 * Admin commands. `huren apply -f huren.json` takes the bootstrap file's shape (members,
 * evidenceTypes, matters, policies, adapters — each a PUT body with its key) as declarative
 * configuration and PUTs only what differs from the gateway, so a second run changes nothing;
 * `huren diff -f` shows what apply would change. `huren members|matters|policies list`.
 *
 * A resource is compared field by field with what the gateway shows: every field the file gives
 * must equal the gateway's (fields the file leaves out are not compared, so server defaults do
 * not show up as changes). Adapter secrets read "(sealed)" on the gateway and cannot be compared:
 * such an adapter is "sealed" in the diff and apply PUTs it, which the gateway ignores when nothing
 * changed (no new version).
 */
import { bootstrapSchema } from "../bootstrap.ts";
import { EXIT, CliError, out, printJson, printTable, usage } from "./output.ts";
import { openSession, parse, readJsonFile, type Session } from "./session.ts";

export const ADMIN_USAGE = `  huren apply -f huren.json --key FILE [--json]      (admin: make the gateway match the file; idempotent)
  huren diff -f huren.json --key FILE [--json]       (admin: what apply would change; exit 4 if anything)
  huren members list --key FILE [--json]             (admin)
  huren matters list --key FILE [--json]
  huren policies list --key FILE [--json]            (admin)`;

type Change = "create" | "update" | "sealed" | "unchanged";
export interface PlannedChange {
  resource: "member" | "evidence type" | "matter" | "policy" | "adapter";
  id: string;
  change: Change;
  /** Fields that differ (update), or hold sealed values (sealed). */
  fields: string[];
  path: string;
  body: Record<string, unknown>;
}

const SEALED = "(sealed)";

/** Paths where `want` differs from `have`; `sealed` collects paths the gateway will not show. */
function differences(want: unknown, have: unknown, path: string, sealed: string[]): string[] {
  if (have === SEALED && want !== undefined) {
    sealed.push(path);
    return [];
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return [path];
    return want.flatMap((w, i) => differences(w, have[i], `${path}[${i}]`, sealed));
  }
  if (want && typeof want === "object") {
    if (!have || typeof have !== "object" || Array.isArray(have)) return [path];
    return Object.entries(want).flatMap(([k, v]) => (v === undefined ? [] : differences(v, (have as Record<string, unknown>)[k], path ? `${path}.${k}` : k, sealed)));
  }
  return want === have ? [] : [path || "(value)"];
}

const SECTIONS = [
  { section: "members", resource: "member", key: "id", path: (id: string) => `/v1/members/${encodeURIComponent(id)}`, shown: (r: Record<string, unknown>) => r },
  { section: "evidenceTypes", resource: "evidence type", key: "type", path: (id: string) => `/v1/catalog/evidence-types/${encodeURIComponent(id)}`, shown: (r: Record<string, unknown>) => r },
  { section: "matters", resource: "matter", key: "code", path: (id: string) => `/v1/catalog/matters/${encodeURIComponent(id)}`, shown: (r: Record<string, unknown>) => r },
  { section: "policies", resource: "policy", key: "id", path: (id: string) => `/v1/policies/${encodeURIComponent(id)}`, shown: (r: Record<string, unknown>) => (r.document ?? {}) as Record<string, unknown> },
  { section: "adapters", resource: "adapter", key: "id", path: (id: string) => `/v1/adapters/${encodeURIComponent(id)}`, shown: (r: Record<string, unknown>) => r },
] as const;

/** Compares the file with the gateway; reads only. */
export async function plan(session: Session, file: unknown): Promise<PlannedChange[]> {
  const parsed = bootstrapSchema.safeParse(file);
  if (!parsed.success) throw usage(`not a Huren config file: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const changes: PlannedChange[] = [];
  for (const s of SECTIONS) {
    for (const item of parsed.data[s.section] as Record<string, unknown>[]) {
      const { [s.key]: id, ...body } = item;
      const path = s.path(String(id));
      const res = await session.raw("GET", path);
      if (res.status === 404) {
        changes.push({ resource: s.resource, id: String(id), change: "create", fields: [], path, body });
        continue;
      }
      if (res.status !== 200) await session.api("GET", path); // throws the problem as one line
      const sealed: string[] = [];
      const fields = differences(body, s.shown(res.body as Record<string, unknown>), "", sealed);
      const change: Change = fields.length ? "update" : sealed.length ? "sealed" : "unchanged";
      changes.push({ resource: s.resource, id: String(id), change, fields: fields.length ? fields : sealed, path, body });
    }
  }
  return changes;
}

const MARK: Record<Change, string> = { create: "+", update: "~", sealed: "?", unchanged: "=" };

function printPlan(changes: PlannedChange[], done?: Map<PlannedChange, string>) {
  printTable(changes, [
    ["", (c) => MARK[c.change]],
    ["resource", (c) => c.resource],
    ["id", (c) => c.id],
    ["change", (c) => done?.get(c) ?? c.change],
    ["fields", (c) => (c.change === "sealed" ? `sealed, not compared: ${c.fields.join(", ")}` : c.fields.join(", ") || "")],
  ]);
}

const asJson = (changes: PlannedChange[], done?: Map<PlannedChange, string>) => changes.map(({ body: _b, path: _p, ...c }) => ({ ...c, ...(done ? { result: done.get(c as PlannedChange) ?? "unchanged" } : {}) }));

async function planFromArgs(argv: string[]) {
  const { values } = parse(argv, { file: { type: "string", short: "f" } });
  if (!values.file) throw usage("-f FILE is required (the bootstrap file's shape: members, evidenceTypes, matters, policies, adapters)");
  const file = await readJsonFile(values.file);
  const session = await openSession(values);
  return { session, changes: await plan(session, file) };
}

/** `huren diff -f FILE`: exit 4 when apply would change something. */
export async function diffCommand(argv: string[]): Promise<void> {
  const { session, changes } = await planFromArgs(argv);
  if (session.json) printJson(asJson(changes));
  else printPlan(changes);
  if (changes.some((c) => c.change !== "unchanged")) process.exitCode = EXIT.changes;
}

/** `huren apply -f FILE`: PUTs what differs, in file order (members before the adapters that name them). */
export async function applyCommand(argv: string[]): Promise<void> {
  const { session, changes } = await planFromArgs(argv);
  const done = new Map<PlannedChange, string>();
  for (const c of changes) {
    if (c.change === "unchanged") continue;
    const before = c.change === "sealed" ? ((await session.api("GET", c.path)) as { version?: number }).version : undefined;
    const after = await session.api<{ version?: number }>("PUT", c.path, c.body);
    done.set(c, c.change === "create" ? "created" : c.change === "update" || before !== after.version ? "updated" : "unchanged");
  }
  if (session.json) printJson(asJson(changes, done));
  else {
    printPlan(changes, done);
    out(`${[...done.values()].filter((r) => r !== "unchanged").length} changed, ${changes.length - [...done.values()].filter((r) => r !== "unchanged").length} unchanged`);
  }
}

const LISTS: Record<string, { path: string; field: string; columns: [string, (r: Record<string, unknown>) => unknown][] }> = {
  members: {
    path: "/v1/members",
    field: "members",
    columns: [
      ["id", (r) => r.id],
      ["kind", (r) => r.kind],
      ["name", (r) => r.name],
      ["region", (r) => r.region],
      ["enabled", (r) => r.enabled],
      ["keys", (r) => ((r.jwks as { keys?: unknown[] })?.keys ?? []).length],
      // A department's grants (PROTOCOL §4): what it issues, and where its adapters may connect.
      ["grants", (r) => (r.grants ? `${(r.grants as { evidenceTypes: string[] }).evidenceTypes.join(" ") || "-"} @ ${(r.grants as { hosts: string[] }).hosts.join(" ") || "-"}` : "")],
    ],
  },
  matters: {
    path: "/v1/catalog/matters",
    field: "matters",
    columns: [
      ["code", (r) => r.code],
      ["name", (r) => r.name],
      ["region", (r) => r.region],
      ["exempt", (r) => ((r.requirements as { evidenceType: string; exempt: boolean }[]) ?? []).filter((q) => q.exempt).map((q) => q.evidenceType).join(" ")],
    ],
  },
  policies: {
    path: "/v1/policies",
    field: "policies",
    columns: [
      ["id", (r) => r.id],
      ["version", (r) => r.version],
      ["evidenceType", (r) => (r.document as { evidenceType?: string })?.evidenceType],
      ["rules", (r) => ((r.document as { rules?: unknown[] })?.rules ?? []).length],
      ["hash", (r) => String(r.hash).slice(0, 16)],
    ],
  },
};

/** `huren members|matters|policies list`. */
export async function listCommand(resource: string, argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const spec = LISTS[resource];
  if (!spec || verb !== "list") throw usage(`usage: huren ${resource} list --key FILE [--json]`);
  const { values } = parse(rest, {});
  const session = await openSession(values);
  const body = await session.api<Record<string, Record<string, unknown>[]>>("GET", spec.path);
  const rows = body[spec.field];
  if (!Array.isArray(rows)) throw new CliError(`unexpected answer from ${spec.path}`);
  if (session.json) printJson(rows);
  else printTable(rows, spec.columns);
}

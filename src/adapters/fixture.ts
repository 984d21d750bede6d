/**
 * The `fixture` adapter: a department's records held by the gateway itself (inline in the
 * adapter config, sealed at rest, or in a JSON file). Used for demos, conformance tests and for
 * departments that deliver periodic extracts instead of running an online service.
 */
import { z } from "zod";
import type { SubjectType } from "../catalog/subject.ts";
import type { AdapterContext, CertStatus, EvidenceSource, LookupRequest, LookupResult } from "./types.ts";

/** The cap keeps one adapter config from turning into an unbounded in-memory database. */
export const MAX_FIXTURE_RECORDS = 100_000;

const SUBJECT_TYPES = ["resident-id", "uscc"] as const satisfies readonly SubjectType[];
const CERT_STATUSES = ["valid", "revoked", "expired", "suspended"] as const satisfies readonly CertStatus[];

/** ISO date (`2027-06-30`) or date-time with offset: what departments put in `validUntil`. */
const validUntilSchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

const recordFields = {
  subject: z.object({ type: z.enum(SUBJECT_TYPES), id: z.string().min(1).max(64) }).strict(),
  name: z.string().min(1).max(200).optional(),
  status: z.enum(CERT_STATUSES),
  certificateId: z.string().min(1).max(200).optional(),
  claims: z.record(z.string(), z.unknown()),
  validUntil: validUntilSchema.optional(),
};

/** A record inside a fixture file, where the evidence type is the key it is listed under. */
const fileRecordSchema = z.object(recordFields).strict();

/** An inline record; `evidenceType` pins it to one of the adapter's types (else: all of them). */
export const fixtureRecordSchema = z.object({ ...recordFields, evidenceType: z.string().min(1).max(64).optional() }).strict();
export type FixtureRecord = z.infer<typeof fixtureRecordSchema>;

export const fixtureConfigSchema = z.union([
  z.object({ records: z.array(fixtureRecordSchema).max(MAX_FIXTURE_RECORDS) }).strict(),
  z.object({ file: z.string().min(1).max(1024) }).strict(),
]);
export type FixtureConfig = z.infer<typeof fixtureConfigSchema>;

/** The on-disk shape: `{ "records": { "<evidenceType>": [record, …] } }`. */
export const fixtureFileSchema = z
  .object({ records: z.record(z.string().min(1).max(64), z.array(fileRecordSchema)) })
  .refine((f) => Object.values(f.records).reduce((n, list) => n + list.length, 0) <= MAX_FIXTURE_RECORDS, {
    message: `a fixture file holds at most ${MAX_FIXTURE_RECORDS} records`,
  });

export interface FixtureSourceOptions {
  /** Clock for `validUntil`; injected so tests can stand on either side of an expiry. */
  now?: () => Date;
}

/** evidenceType → (`type:id` → record). */
type FixtureIndex = Map<string, Map<string, FixtureRecord>>;

/**
 * Ids are compared case-insensitively and without surrounding blanks: a resident-id's check
 * character `X` and USCC letters are often typed in lower case at windows.
 */
const subjectKey = (s: { type: string; id: string }): string => `${s.type}:${s.id.trim().toUpperCase()}`;

/** Names compare after NFKC (full-width forms) and without any white space (`张 三` = `张三`). */
export const normaliseName = (name: string): string => name.normalize("NFKC").replace(/\s+/gu, "");

/**
 * End of validity in ms. A bare date is valid through that whole day in China Standard Time
 * (UTC+08:00), where the issuing departments are.
 */
function validUntilMs(validUntil: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(validUntil) ? Date.parse(`${validUntil}T23:59:59.999+08:00`) : Date.parse(validUntil);
}

/**
 * Has `validUntil` passed at `now`? Shared with the sql adapter, so both read dates alike.
 * @example isPast("2027-06-30", new Date("2027-06-30T15:00:00Z")) // false: still that day in China
 */
export function isPast(validUntil: string, now: Date): boolean {
  return validUntilMs(validUntil) < now.getTime();
}

/** Builds the per-type index; later records replace earlier ones with the same subject. */
export function indexFixtureRecords(records: Iterable<FixtureRecord>, evidenceTypes: readonly string[]): FixtureIndex {
  const index: FixtureIndex = new Map();
  const bucket = (type: string) => {
    let m = index.get(type);
    if (!m) index.set(type, (m = new Map()));
    return m;
  };
  for (const r of records) {
    const key = subjectKey(r.subject);
    if (r.evidenceType !== undefined) bucket(r.evidenceType).set(key, r);
    else for (const t of evidenceTypes) bucket(t).set(key, r);
  }
  return index;
}

function* fileRecords(file: z.infer<typeof fixtureFileSchema>): Iterable<FixtureRecord> {
  for (const [evidenceType, list] of Object.entries(file.records)) for (const r of list) yield { ...r, evidenceType };
}

/**
 * The one answer for any `{ file }` path that cannot be read (src/adapters/fixture-files.ts):
 * the same for a path outside the fixture folder, a missing file and a link out of the folder.
 */
export const FIXTURE_FILE_REFUSED = "fixture file not found in the gateway's fixture folder (HUREN_FIXTURE_DIR), or not readable there";

/** Detail strings are logged: they name the file and the failing paths, never record content. */
async function loadFile(path: string, ctx: AdapterContext, evidenceTypes: readonly string[]): Promise<FixtureIndex> {
  if (!ctx.readFile) throw new FixtureLoadError(`fixture files cannot be read on this platform (${path})`);
  let text: string;
  try {
    text = await ctx.readFile(path);
  } catch (err) {
    // The reader's own refusals are safe to repeat; anything else (an errno) could tell which paths exist.
    throw new FixtureLoadError(err instanceof Error && err.name === "FixtureFileError" ? err.message : FIXTURE_FILE_REFUSED);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FixtureLoadError(`fixture file ${path} is not valid JSON`);
  }
  const parsed = fixtureFileSchema.safeParse(json);
  if (!parsed.success) {
    const paths = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(root)"))].slice(0, 5);
    throw new FixtureLoadError(`fixture file ${path} does not fit the fixture format at ${paths.join(", ")}`);
  }
  return indexFixtureRecords(fileRecords(parsed.data), evidenceTypes);
}

class FixtureLoadError extends Error {}

function answer(record: FixtureRecord, request: LookupRequest, now: Date): LookupResult {
  let status: CertStatus = record.status;
  // A record the department forgot to flip is still expired once its date has passed.
  if (status === "valid" && record.validUntil !== undefined && isPast(record.validUntil, now)) status = "expired";
  const name = request.subject.name;
  return {
    outcome: "found",
    status,
    certificateId: record.certificateId,
    // A copy: callers add fields (validUntil) and must not change the index.
    claims: structuredClone(record.claims),
    validUntil: record.validUntil,
    nameMatches: name !== undefined && record.name !== undefined ? normaliseName(name) === normaliseName(record.name) : undefined,
  };
}

/**
 * Creates a fixture-backed source. `{ file }` configs are read (through `ctx.readFile`) on the
 * first lookup, so building the source never does I/O; a failed read is retried next time.
 * @example
 * const source = createFixtureSource("cc-housing-fixture", fixtureConfigSchema.parse(config), ctx, ["housing.no-property-proof"]);
 * const result = await source.lookup({ requestId: "vf_1#0", evidenceType: "housing.no-property-proof",
 *   subject: { type: "resident-id", id, name: "张三" }, fields: [], matter: "m", requester: "w" });
 */
export function createFixtureSource(
  id: string,
  config: FixtureConfig,
  ctx: AdapterContext,
  evidenceTypes: string[],
  options: FixtureSourceOptions = {},
): EvidenceSource {
  const now = options.now ?? (() => new Date());
  let index: Promise<FixtureIndex> | undefined =
    "records" in config ? Promise.resolve(indexFixtureRecords(config.records, evidenceTypes)) : undefined;

  const getIndex = (): Promise<FixtureIndex> => {
    if (!index && "file" in config) {
      const loading = loadFile(config.file, ctx, evidenceTypes);
      index = loading;
      loading.catch(() => {
        if (index === loading) index = undefined;
      });
    }
    return index!;
  };

  return {
    id,
    kind: "fixture",
    async lookup(request, signal) {
      if (signal?.aborted) return { outcome: "unavailable", error: "timeout", detail: "lookup aborted before it started" };
      let idx: FixtureIndex;
      try {
        idx = await getIndex();
      } catch (err) {
        const detail = err instanceof FixtureLoadError ? err.message : "fixture records could not be loaded";
        return { outcome: "unavailable", error: "adapter-error", detail };
      }
      const record = idx.get(request.evidenceType)?.get(subjectKey(request.subject));
      return record ? answer(record, request, now()) : { outcome: "not_found" };
    },
  };
}

/**
 * Ledger entries that are not verifications (PROTOCOL §5.4): `audit-access` (an auditor searched,
 * reported on or exported), `subject-access` (a person's own access report), `key-rotation`.
 * They carry a top-level `"kind"`; consumers that count verifications skip any entry with a kind
 * other than `verification`.
 *
 * They share the ledger's table with verifications, so the search columns are filled so that
 * they can never be mistaken for one: `verification_id` holds the entry's own id (its prefix
 * names the kind), `decision` holds the kind (never permitted/partial/denied), `evidence_types`
 * is empty, and `subject_ref` is the person's keyed reference when a person was named — so the
 * person's report finds it — or "" (no reference is ever empty).
 *
 * `appendRecord` goes through the group-commit writer (the auditor's read answers after it
 * commits); `appendRecordInTx` appends inside the caller's transaction, so the entry and the
 * change it records (a key rotation) commit together or not at all.
 */
import type { Tx } from "../db/types.ts";
import { appendEntries, type AppendedEntry, type LedgerEntryInput } from "./append.ts";

export type RecordKind = "audit-access" | "subject-access" | "key-rotation";

export interface RecordInput {
  kind: RecordKind;
  /** Unique among all entries (shares the verification id's unique column), e.g. `aa_<ulid>`. */
  id: string;
  /** The gateway's id; absent only where the caller does not know it (a key adopted at start). */
  gateway?: string | undefined;
  /** The member who acted (or "gateway" for what the gateway did by itself) (the auditor, the consent collector, the admin). */
  requester: string;
  uid: string | undefined;
  /** The named person's keyed reference (`sr1_…`), never a raw id. */
  subject?: { type: string; ref: string } | undefined;
  recordedAt: Date;
  /** The rest of the entry (purpose, filters, key ids, …); must not hold a raw person id. */
  fields: Record<string, unknown>;
}

/** What an entry of `kind` looks like and which columns it fills. */
export function recordEntryInput(r: RecordInput): LedgerEntryInput {
  const entry: Record<string, unknown> = {
    v: 1,
    kind: r.kind,
    id: r.id,
    time: r.recordedAt.toISOString(),
    ...(r.gateway ? { gateway: r.gateway } : {}),
    requester: r.requester,
    uid: r.uid ?? null,
    ...(r.subject ? { subject: r.subject } : {}),
    ...r.fields,
  };
  return {
    entry,
    verificationId: r.id,
    subjectRef: r.subject?.ref ?? "",
    requester: r.requester,
    uid: r.uid,
    matter: undefined,
    caseRef: undefined,
    decision: r.kind,
    evidenceTypes: [],
    recordedAt: r.recordedAt,
  };
}

/** The group-commit writer's append, or anything with its shape. */
export interface EntryAppender {
  append(input: LedgerEntryInput): Promise<AppendedEntry>;
}

/**
 * Appends a non-verification entry; resolves once it has committed (answer only after that).
 * @example
 * const at = await appendRecord(deps.ledger.writer, { kind: "audit-access", id: `aa_${deps.newId()}`, gateway, requester, uid, recordedAt: deps.now(), fields: { purpose } });
 */
export function appendRecord(writer: EntryAppender, r: RecordInput): Promise<AppendedEntry> {
  return writer.append(recordEntryInput(r));
}

/**
 * Appends a non-verification entry inside `tx`: it commits with the rest of the transaction.
 * @example
 * const at = await db.transaction((tx) => appendRecordInTx(tx, { kind: "key-rotation", id: `kr_${kid}`, requester: "admin-1", uid, recordedAt: now(), fields: { newKid: kid } }));
 */
export async function appendRecordInTx(tx: Tx, r: RecordInput): Promise<AppendedEntry> {
  const [appended] = await appendEntries(tx, [recordEntryInput(r)]);
  return appended!;
}

/** An entry's kind: "verification" when it has none (verification entries may omit it). */
export const entryKind = (entry: Record<string, unknown>): string => (typeof entry.kind === "string" ? entry.kind : "verification");

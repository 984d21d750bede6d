/**
 * Signed checkpoints: the ledger's tree head (C2SP tlog-checkpoint) signed as a C2SP signed
 * note with the ledger key — an Ed25519 key separate from the receipt key, generated on first
 * start and stored sealed like the others. Origin and key name are `<gateway id>/ledger`.
 */
import { and, eq, isNull } from "drizzle-orm";
import { gatewayKeys, ledgerCheckpoints } from "../db/schema.ts";
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { formatCheckpoint, generateSignerKey, parseSignerKey, signNote, type SignerKey } from "./note.ts";
import { treeHash } from "./merkle.ts";
import { ledgerSize, nodeReader, toBase64 } from "./store.ts";

const PURPOSE = "ledger";

export interface LedgerSigner {
  origin: string;
  /** The note verifier key, `name+hash+base64key`, published at /v1/ledger/key. */
  verifierKey: string;
  signer: SignerKey;
}

export interface StoredCheckpoint {
  size: number;
  rootHash: string;
  /** The signed note, exactly as served. */
  note: string;
  createdAt: Date;
}

export const ledgerOrigin = (gatewayId: string) => `${gatewayId}/ledger`;

/**
 * Loads the ledger key, creating it on first start (one per database: a unique index admits one
 * active key per purpose, concurrent starters re-read the winner's).
 * @example
 * const ledger = await loadLedgerSigner(db, secrets, "huren.changchun.gov.cn");
 */
export async function loadLedgerSigner(db: Db, secrets: Secrets, gatewayId: string): Promise<LedgerSigner> {
  const origin = ledgerOrigin(gatewayId);
  const active = () => db.select().from(gatewayKeys).where(and(eq(gatewayKeys.purpose, PURPOSE), isNull(gatewayKeys.retiredAt))).limit(1);
  let [row] = await active();
  if (!row) {
    const { signerKey, verifierKey } = await generateSignerKey(origin);
    await db
      .insert(gatewayKeys)
      .values({ kid: verifierKey, purpose: PURPOSE, alg: "Ed25519-note", publicJwk: { verifierKey }, sealedPrivateKey: await secrets.seal(signerKey) })
      .onConflictDoNothing();
    [row] = await active();
    if (!row) throw new Error("could not create the ledger key");
  }
  const verifierKey = (row.publicJwk as { verifierKey: string }).verifierKey;
  const signer = await parseSignerKey(
    await secrets.unseal(row.sealedPrivateKey).catch(() => {
      throw new Error("cannot open the stored ledger key: HUREN_SECRET is not the secret it was sealed with");
    }),
  );
  if (signer.name !== origin) {
    throw new Error(`the stored ledger key is for "${signer.name}", but this gateway's ledger origin is "${origin}" (was HUREN_GATEWAY_ID changed?)`);
  }
  return { origin, verifierKey, signer };
}

export async function checkpointAt(db: Db, size: number): Promise<StoredCheckpoint | undefined> {
  const [row] = await db.select().from(ledgerCheckpoints).where(eq(ledgerCheckpoints.size, size));
  return row;
}

/**
 * Signs and stores a checkpoint for the current size, unless one exists for it already.
 * Safe from several processes at once: the size is the key, the first one stored wins.
 * @example
 * const cp = await publishCheckpoint(db, ledger); // cp.note is the text/plain answer
 */
export async function publishCheckpoint(db: Db, ledger: LedgerSigner): Promise<StoredCheckpoint> {
  const size = await ledgerSize(db);
  const existing = await checkpointAt(db, size);
  if (existing) return existing;
  // Nodes for every committed size are committed with the entries, so this read is consistent.
  const root = await treeHash(size, nodeReader(db));
  const note = await signNote(formatCheckpoint({ origin: ledger.origin, size, rootHash: root }), ledger.signer);
  await db.insert(ledgerCheckpoints).values({ size, rootHash: toBase64(root), note }).onConflictDoNothing();
  return (await checkpointAt(db, size))!;
}

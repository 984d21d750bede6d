/**
 * Builds AppDeps from an open database and a master secret. Shared by the Node entry, the
 * Worker entry and the test harness, so all three wire the gateway the same way.
 */
import { ulid } from "ulid";
import type { Database } from "../db/types.ts";
import type { AppDeps, Logger } from "../deps.ts";
import type { HttpClient } from "../http-client.ts";
import { createSecrets } from "../crypto/secrets.ts";
import { loadGatewayKeys } from "../keys/gateway-keys.ts";
import { outboundSigner } from "../keys/outbound.ts";
import { createMemberCache } from "../members/members.ts";
import { SourceResolver } from "../sources/resolve.ts";
import { loadLedgerSigner } from "../ledger/checkpoints.ts";
import { LedgerWriter } from "../ledger/writer.ts";

export interface AssembleOptions {
  gatewayId: string;
  database: Database;
  secret: string;
  signingKey?: string | undefined;
  http: HttpClient;
  logger: Logger;
  maxBodyBytes?: number;
  now?: () => Date;
  readFile?: (path: string) => Promise<string>;
  lookupDeadlineMs?: number;
}

/**
 * ulid's default PRNG asks WebCrypto for one byte per character — 16 calls per id, and a
 * verification makes three ids (request, verification, outbound jti): about 5% of the gateway's
 * CPU in a profile. This draws the same CSPRNG bytes 4 KiB at a time.
 */
function pooledPrng(): () => number {
  const pool = new Uint8Array(4096);
  let at = pool.length;
  return () => {
    if (at === pool.length) {
      crypto.getRandomValues(pool);
      at = 0;
    }
    return pool[at++]! / 256;
  };
}

export async function assembleDeps(options: AssembleOptions): Promise<AppDeps & { close(): Promise<void> }> {
  const { database, gatewayId } = options;
  const db = database.db;
  const now = options.now ?? (() => new Date());
  const secrets = await createSecrets(options.secret);
  const keys = await loadGatewayKeys({ db, secrets, configuredKey: options.signingKey });
  const prng = pooledPrng();
  const newId = () => ulid(undefined, prng);
  const signer = outboundSigner(keys.signer, gatewayId, now, () => `gw_${newId()}`);
  // Signed department answers are checked against the department's registered keys on every
  // lookup; a short-TTL cache saves that round trip. A department should start signing with a
  // newly added key only after MEMBER_CACHE_TTL_MS (removals take effect within it too).
  const members = createMemberCache(db);
  const ledger = { signer: await loadLedgerSigner(db, secrets, gatewayId), writer: new LedgerWriter(db) };
  const resolver = new SourceResolver({
    db,
    secrets,
    context: (department) => ({
      department,
      http: options.http,
      signer,
      departmentKeys: async () => (await members.get(department))?.jwks ?? { keys: [] },
      ...(options.readFile ? { readFile: options.readFile } : {}),
    }),
  });
  return {
    gatewayId,
    maxBodyBytes: options.maxBodyBytes ?? 256 * 1024,
    db,
    driver: database.driver,
    secrets,
    keys,
    resolver,
    ledger,
    now,
    newId,
    logger: options.logger,
    ...(options.lookupDeadlineMs ? { lookupDeadlineMs: options.lookupDeadlineMs } : {}),
    async close() {
      await ledger.writer.idle();
      await resolver.close();
      await options.http.close?.();
      await database.close();
    },
  };
}

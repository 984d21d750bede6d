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
import { getMember } from "../members/members.ts";
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

export async function assembleDeps(options: AssembleOptions): Promise<AppDeps & { close(): Promise<void> }> {
  const { database, gatewayId } = options;
  const db = database.db;
  const now = options.now ?? (() => new Date());
  const secrets = await createSecrets(options.secret);
  const keys = await loadGatewayKeys({ db, secrets, configuredKey: options.signingKey });
  const signer = outboundSigner(keys.signer, gatewayId, now, () => `gw_${ulid()}`);
  const ledger = { signer: await loadLedgerSigner(db, secrets, gatewayId), writer: new LedgerWriter(db) };
  const resolver = new SourceResolver({
    db,
    secrets,
    context: (department) => ({
      department,
      http: options.http,
      signer,
      departmentKeys: async () => (await getMember(db, department))?.jwks ?? { keys: [] },
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
    newId: ulid,
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

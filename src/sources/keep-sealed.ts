/**
 * A PUT may send back a sealed value as the "(sealed)" placeholder GET shows: that means "keep
 * the secret you hold", so a department can enable or disable an adapter, or change its timeout,
 * from what GET shows without holding its connection string or probe subject again.
 */
import type { Queryable } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { SEALED, type AdapterBody } from "./adapter-config.ts";
import { loadAdapterConfig } from "./store.ts";

/**
 * @example
 * const body = await keepSealed(db, secrets, "cc-dibao-sql", { ...shown, enabled: false });
 */
export async function keepSealed(db: Queryable, secrets: Secrets, id: string, body: AdapterBody): Promise<AdapterBody> {
  const placeholders = Object.entries(body.config).filter(([, v]) => v === SEALED);
  if (placeholders.length === 0) return body;
  const existing = await loadAdapterConfig(db, secrets, id);
  // Another kind, or nothing stored: leave the placeholder for validation to refuse.
  if (!existing || existing.kind !== body.kind) return body;
  const config = { ...body.config };
  for (const [k] of placeholders) if (k in existing.config && existing.config[k] !== SEALED) config[k] = existing.config[k];
  return { ...body, config };
}

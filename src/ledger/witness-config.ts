/**
 * The witnesses an operator names (PROTOCOL §5.2): `HUREN_WITNESSES` (a JSON array) and
 * `HUREN_WITNESS_QUORUM`, or `witnesses` and `witnessQuorum` in the bootstrap file. One schema
 * for both, so a bad vkey or URL stops the start with the same message either way.
 */
import { z } from "zod";
import { parseCosignerKey } from "./cosignature.ts";

export const witnessSchema = z
  .object({
    /** A label for logs, /readyz and metrics (e.g. "audit-bureau"). */
    name: z.string().min(1).max(100),
    /** C2SP vkey, signature type 0x04 (cosignature/v1, Ed25519). */
    vkey: z.string().refine(
      (v) => {
        try {
          parseCosignerKey(v);
          return true;
        } catch {
          return false;
        }
      },
      { message: "must be a C2SP vkey of signature type 0x04 (name+keyid+base64(0x04 ‖ Ed25519 key))" },
    ),
    /** The witness's submission prefix; add-checkpoint is `<url>/add-checkpoint`. */
    url: z.url({ protocol: /^https?$/ }),
  })
  .strict();

export type WitnessConfig = z.infer<typeof witnessSchema>;

export const witnessesSchema = z
  .array(witnessSchema)
  .max(32)
  .refine((ws) => new Set(ws.map((w) => w.vkey)).size === ws.length && new Set(ws.map((w) => w.name)).size === ws.length, {
    message: "witness names and vkeys must be unique",
  });

export interface WitnessSettings {
  witnesses: WitnessConfig[];
  /** Cosignatures a checkpoint needs before it is served. */
  quorum: number;
}

/**
 * The quorum: as configured (0 ≤ q ≤ number of witnesses), else a majority of the witnesses.
 * @example
 * witnessSettings([w1, w2, w3], undefined).quorum // 2
 */
export function witnessSettings(witnesses: WitnessConfig[], quorum: number | undefined): WitnessSettings {
  const q = quorum ?? Math.floor(witnesses.length / 2) + (witnesses.length > 0 ? 1 : 0);
  if (!Number.isInteger(q) || q < 0 || q > witnesses.length) {
    throw new Error(`the witness quorum must be between 0 and the number of witnesses (${witnesses.length}), got ${quorum}`);
  }
  return { witnesses, quorum: q };
}

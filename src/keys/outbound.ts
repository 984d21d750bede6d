/**
 * The gateway's signature on requests to departments (§4): the same claims a member puts on
 * its requests to the gateway (§2), with iss = gateway id and aud = the department.
 */
import type { OutboundSigner } from "../adapters/types.ts";
import { sha256b64url } from "../crypto/encoding.ts";
import type { JwsSigner } from "./gateway-keys.ts";

/** Lifetime of outbound tokens: departments should accept them for at most this long. */
export const OUTBOUND_TOKEN_LIFETIME_S = 60;

/**
 * @example
 * const signer = outboundSigner(keys.signer, "huren.localhost", () => new Date(), () => crypto.randomUUID());
 * await signer.sign({ aud: "cc-civil-affairs", htm: "POST", htu: "/huren/lookup", body });
 */
export function outboundSigner(jws: JwsSigner, gatewayId: string, now: () => Date, newJti: () => string): OutboundSigner {
  return {
    async sign({ aud, htm, htu, body }) {
      const iat = Math.floor(now().getTime() / 1000);
      return jws.signJson("huren-req+jwt", {
        iss: gatewayId,
        aud,
        iat,
        exp: iat + OUTBOUND_TOKEN_LIFETIME_S,
        jti: newJti(),
        htm,
        htu,
        bh: await sha256b64url(body),
      });
    },
  };
}

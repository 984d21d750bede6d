/**
 * The one interface every department data source implements (fixture, http, sql).
 *
 * Adapters know nothing of routes, policies or the ledger: they are handed a lookup and
 * answer what the department said, or say why they could not. Claims are validated
 * against the evidence type's schema by the caller (verification), not here, so every
 * adapter kind gets the same check.
 */
import type { Subject } from "../catalog/subject.ts";

export interface LookupRequest {
  /** `vf_…#n`: the verification id and the item's position. */
  requestId: string;
  evidenceType: string;
  subject: Subject & { name?: string | undefined };
  /** Claims the gateway would like; the source may send more, the gateway drops them. */
  fields: string[];
  matter: string;
  /** Member id of the window asking. */
  requester: string;
}

export type CertStatus = "valid" | "revoked" | "expired" | "suspended";

export type LookupResult =
  | {
      outcome: "found";
      status: CertStatus;
      certificateId?: string | undefined;
      claims: Record<string, unknown>;
      validUntil?: string | undefined;
      /** Absent when no name was sent or the source does not match names. */
      nameMatches?: boolean | undefined;
      /** Set when the answer came signed and its signature was verified (for the conformance check). */
      signature?: AnswerSignature | undefined;
    }
  | { outcome: "not_found"; signature?: AnswerSignature | undefined }
  | {
      outcome: "unavailable";
      /** Stable code: timeout, http-status, malformed-answer, too-large, bad-signature, network, ... */
      error: UnavailableCode;
      /** Operator-facing detail; never shown to windows, never contains person data. */
      detail: string;
    };

export type UnavailableCode =
  | "timeout"
  | "network"
  | "http-status"
  | "malformed-answer"
  | "too-large"
  | "bad-signature"
  | "schema-violation"
  | "no-adapter"
  | "adapter-error"
  /** The adapter's concurrency limit and queue are full: answered at once, the department is not asked. */
  | "overloaded"
  /** The address the host resolved to at connection time is not one the adapter may reach (PROTOCOL §4). */
  | "host-not-granted"
  /** The circuit breaker is open after repeated failures: answered at once until the cool-down ends. */
  | "circuit-open";

/** Who signed a department's answer, once the signature has been verified. */
export interface AnswerSignature {
  alg: string;
  kid?: string | undefined;
}

/** What a source's own reachability test found (`EvidenceSource.ping`). */
export type PingResult = { ok: true; detail: string } | { ok: false; error: UnavailableCode; detail: string };

export interface EvidenceSource {
  readonly id: string;
  readonly kind: "fixture" | "http" | "sql";
  lookup(request: LookupRequest, signal?: AbortSignal): Promise<LookupResult>;
  /**
   * A reachability test that asks for no record (sql: connect and `select 1` read-only). Sources
   * without one (http) show reachability through the conformance check's probe lookup instead.
   */
  ping?(signal?: AbortSignal): Promise<PingResult>;
  close?(): Promise<void>;
}

/** Signs the gateway's outbound §2-style request token for a department. */
export interface OutboundSigner {
  /** Returns a compact JWS (`typ: huren-req+jwt`, iss = gateway id, aud = department id). */
  sign(input: { aud: string; htm: string; htu: string; body: string | Uint8Array }): Promise<string>;
}

/** What a factory needs besides the adapter's own config; injected by the composition root. */
export interface AdapterContext {
  /** Department member id that owns the adapter (the `aud` of outbound tokens). */
  department: string;
  http: import("../http-client.ts").HttpClient;
  signer: OutboundSigner;
  /** The department's currently registered public keys (for `answerSignature`). */
  departmentKeys(): Promise<{ keys: Record<string, unknown>[] }>;
  /**
   * Reads a `{ file }` fixture config's file, confined to the fixture folder and size-capped
   * (src/adapters/fixture-files.ts); absent on Workers.
   */
  readFile?(path: string): Promise<string>;
  /**
   * The connection-time reach check (PROTOCOL §4, src/reach/guard.ts): resolves `host` and
   * answers the addresses this adapter may connect to, or throws a ReachError. Absent: no check
   * (a source built outside the gateway, e.g. a unit test of the contract).
   */
  connectCheck?(target: { host: string; port: number; database?: string }): Promise<{ version: 4 | 6; bytes: Uint8Array }[]>;
}

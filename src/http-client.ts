/**
 * Outbound HTTP, injected so Node uses undici pools and Workers use global fetch.
 * The client enforces the timeout and the response size cap itself: a department that
 * hangs or streams a huge body must cost the gateway nothing beyond its limits.
 */
export interface HttpPostRequest {
  url: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  timeoutMs: number;
  maxBodyBytes: number;
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Errors a client throws, so adapters can map them to stable `unavailable` codes. */
export class HttpClientError extends Error {
  constructor(
    /** `host-not-granted`: the reach guard refused the address (src/reach/guard.ts). */
    readonly code: "timeout" | "network" | "too-large" | "host-not-granted",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "HttpClientError";
  }
}

/** Resolves a host and answers the addresses a connection may use, or throws (src/reach/guard.ts). */
export type ConnectCheck = (host: string) => Promise<{ version: 4 | 6; bytes: Uint8Array }[]>;

export interface HttpClient {
  post(request: HttpPostRequest): Promise<HttpResponse>;
  close?(): Promise<void>;
  /**
   * A client of its own (own connection pool) whose every connection goes only to an address
   * `check` allowed, checked when the connection is made (DNS rebinding). Close it when done.
   */
  guarded?(check: ConnectCheck): HttpClient;
}

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
    readonly code: "timeout" | "network" | "too-large",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "HttpClientError";
  }
}

export interface HttpClient {
  post(request: HttpPostRequest): Promise<HttpResponse>;
  close?(): Promise<void>;
}

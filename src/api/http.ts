import { type Dispatcher, request } from "undici";
import { OperationError } from "../errors.js";

/** An HTTP API answered with an unexpected status; Nomad and Consul send errors as plain text. */
export class ApiError extends OperationError {
  constructor(
    readonly api: string,
    readonly status: number,
    readonly path: string,
    readonly body: string,
  ) {
    super(
      `${api} API: ${path} returned HTTP ${status}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ""}`,
    );
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** A small JSON client over an undici dispatcher (a direct connection or an SSH tunnel). */
export class JsonApi {
  constructor(
    readonly name: string,
    readonly origin: string,
    private readonly dispatcher: Dispatcher,
    /** Sent with every request; a function when they may change between requests (a token np gets mid-run). */
    private readonly headers: Record<string, string> | (() => Record<string, string>) = {},
    private readonly timeoutMs = 10_000,
  ) {}

  /** GET a JSON document; statuses in `accept` (besides 200) are returned instead of thrown. */
  async get<T>(path: string, accept: number[] = []): Promise<ApiResponse<T>> {
    return this.send<T>("GET", path, undefined, accept);
  }

  async send<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    body?: unknown,
    accept: number[] = [],
  ): Promise<ApiResponse<T>> {
    const res = await request(new URL(path, this.origin), {
      method,
      dispatcher: this.dispatcher,
      headers: {
        ...(typeof this.headers === "function" ? this.headers() : this.headers),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200 && !accept.includes(res.statusCode))
      throw new ApiError(this.name, res.statusCode, path, text);
    let parsed: T;
    try {
      parsed = JSON.parse(text) as T;
    } catch {
      throw new ApiError(this.name, res.statusCode, path, `not JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  }
}

import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { OperationError } from "../errors.js";
import { type DispatcherRef, undici } from "./undici.js";

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

/** Per-request options: a longer timeout (blocking queries, log streams) and cancellation. */
export interface RequestOptions {
  /** Statuses (besides 200) returned instead of thrown. */
  accept?: number[];
  /** How long to wait for the headers and between body chunks (default: the client's). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A small JSON client over an undici dispatcher (a direct connection or an SSH tunnel). */
export class JsonApi {
  constructor(
    readonly name: string,
    readonly origin: string,
    private readonly dispatcher: DispatcherRef,
    /** Sent with every request; a function when they may change between requests (a token np gets mid-run). */
    private readonly headers: Record<string, string> | (() => Record<string, string>) = {},
    private readonly timeoutMs = 10_000,
  ) {}

  /** GET a JSON document; statuses in `accept` (besides 200) are returned instead of thrown. */
  async get<T>(path: string, accept: number[] | RequestOptions = []): Promise<ApiResponse<T>> {
    return this.send<T>("GET", path, undefined, accept);
  }

  async send<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    body?: unknown,
    accept: number[] | RequestOptions = [],
  ): Promise<ApiResponse<T>> {
    const opts = Array.isArray(accept) ? { accept } : accept;
    const res = await this.open(method, path, body, opts);
    const text = await res.body.text();
    if (res.statusCode !== 200 && !(opts.accept ?? []).includes(res.statusCode))
      throw new ApiError(this.name, res.statusCode, path, text);
    // Some writes answer 200 with no body at all (Consul's keyring operations): nothing to parse.
    if (text === "") return { status: res.statusCode, body: undefined as T, headers: res.headers };
    let parsed: T;
    try {
      parsed = JSON.parse(text) as T;
    } catch {
      // An accepted error status carries Nomad's plain-text message.
      if (res.statusCode !== 200) return { status: res.statusCode, body: text as T, headers: res.headers };
      throw new ApiError(this.name, res.statusCode, path, `not JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  }

  /** GET a streamed body (a log stream): the body is returned unread; a status other than 200 throws. */
  async stream(path: string, opts: RequestOptions = {}): Promise<Readable> {
    const res = await this.open("GET", path, undefined, opts);
    if (res.statusCode !== 200) throw new ApiError(this.name, res.statusCode, path, await res.body.text());
    return res.body;
  }

  private async open(method: Dispatcher.HttpMethod, path: string, body: unknown, opts: RequestOptions) {
    const timeout = opts.timeoutMs ?? this.timeoutMs;
    const [{ request }, dispatcher] = await Promise.all([undici(), this.dispatcher]);
    return request(new URL(path, this.origin), {
      method,
      dispatcher,
      headers: {
        ...(typeof this.headers === "function" ? this.headers() : this.headers),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      ...(opts.signal && { signal: opts.signal }),
    });
  }
}

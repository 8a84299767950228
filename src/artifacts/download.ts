import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Dispatcher } from "undici";
import { undici, undiciFull } from "../api/undici.js";
import { OperationError } from "../errors.js";
import { tempPathFor } from "./cache.js";
import type { Location } from "./layout.js";

/** A file that does not exist at its location (HTTP 404/410, or no such file in the folder). */
export class MissingArtifactFile extends OperationError {}

/** Timeouts for downloads; a stalled body fails instead of hanging forever. */
const TIMEOUTS = { connectMs: 30_000, headersMs: 60_000, bodyMs: 120_000 };
/** Attempts for a download that failed for a transient reason (network error, HTTP 5xx or 429). */
const ATTEMPTS = 3;

/** HTTP client for downloads, made on its first request (a run that downloads nothing never loads undici). */
export interface HttpClient {
  dispatcher(): Promise<Dispatcher>;
  close(): Promise<void>;
}

/** HTTP client for downloads: follows redirects, honours HTTP(S)_PROXY and NO_PROXY. Close it when done. */
export function createHttpClient(): HttpClient {
  let made: Promise<Dispatcher> | undefined;
  return {
    dispatcher() {
      made ??= undiciFull().then(({ EnvHttpProxyAgent, interceptors }) =>
        new EnvHttpProxyAgent({
          connect: { timeout: TIMEOUTS.connectMs },
          headersTimeout: TIMEOUTS.headersMs,
          bodyTimeout: TIMEOUTS.bodyMs,
        }).compose(interceptors.redirect({ maxRedirections: 10 })),
      );
      return made;
    },
    async close() {
      if (made) await (await made).close();
    },
  };
}

/** What a download needs besides its location. */
export interface DownloadContext {
  http: HttpClient;
  signal?: AbortSignal;
}

/** Reads a (small) file from its location; throws MissingArtifactFile when it does not exist. */
export async function readLocation(location: Location, ctx: DownloadContext): Promise<Uint8Array> {
  if (location.kind === "file") {
    try {
      return await readFile(location.path);
    } catch (err) {
      throw fileError(location.path, err);
    }
  }
  return withRetries(ctx, async () => {
    const body = await open(location.url, ctx);
    try {
      return new Uint8Array(await body.arrayBuffer());
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      throw new TransientError(`download of ${location.url} broke off: ${causeOf(err)}`);
    }
  });
}

/** Like readLocation, but undefined when the file does not exist. */
export async function readOptional(
  location: Location,
  ctx: DownloadContext,
): Promise<Uint8Array | undefined> {
  try {
    return await readLocation(location, ctx);
  } catch (err) {
    if (err instanceof MissingArtifactFile) return undefined;
    throw err;
  }
}

/**
 * Downloads `url` into `dest`, streaming and hashing on the way. The file appears at `dest` only if
 * `accept(sha256)` returns without throwing; otherwise nothing is left behind.
 */
export async function downloadToFile(
  url: string,
  dest: string,
  ctx: DownloadContext,
  accept: (sha256: string, size: number) => void,
): Promise<{ sha256: string; size: number }> {
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  try {
    const result = await withRetries(ctx, async () => {
      const body = await open(url, ctx);
      const hash = createHash("sha256");
      let size = 0;
      try {
        await pipeline(
          body,
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              hash.update(chunk);
              size += chunk.length;
              yield chunk;
            }
          },
          createWriteStream(tmp),
          ctx.signal ? { signal: ctx.signal } : {},
        );
      } catch (err) {
        if (ctx.signal?.aborted) throw err;
        throw new TransientError(`download of ${url} broke off: ${causeOf(err)}`);
      }
      return { sha256: hash.digest("hex"), size };
    });
    accept(result.sha256, result.size);
    await rename(tmp, dest);
    return result;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function open(url: string, ctx: DownloadContext): Promise<Dispatcher.ResponseData["body"]> {
  let res: Dispatcher.ResponseData;
  try {
    const [{ request }, dispatcher] = await Promise.all([undici(), ctx.http.dispatcher()]);
    res = await request(url, { dispatcher, signal: ctx.signal ?? null, method: "GET" });
  } catch (err) {
    if (ctx.signal?.aborted) throw err;
    throw new TransientError(`cannot download ${url}: ${causeOf(err)}`);
  }
  if (res.statusCode >= 200 && res.statusCode < 300) return res.body;
  await res.body.dump();
  const status = `HTTP ${res.statusCode}`;
  if (res.statusCode === 404 || res.statusCode === 410)
    throw new MissingArtifactFile(
      `not found: ${url} (${status})`,
      "check the version, and the mirror's layout",
    );
  if (res.statusCode >= 500 || res.statusCode === 429)
    throw new TransientError(`cannot download ${url}: ${status}`);
  throw new OperationError(`cannot download ${url}: ${status}`);
}

/** A failure worth retrying; after the last attempt it reaches the user as an OperationError. */
class TransientError extends OperationError {}

async function withRetries<T>(ctx: DownloadContext, attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof TransientError) || i >= ATTEMPTS || ctx.signal?.aborted) {
        if (err instanceof TransientError)
          throw new OperationError(err.message, "check the network (and HTTPS_PROXY), or use a mirror");
        throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 500 * 3 ** (i - 1)));
    }
  }
}

function fileError(file: string, err: unknown): OperationError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT")
    return new MissingArtifactFile(
      `not found: ${file}`,
      "fill the folder with `np artifacts fetch --dir DIR` on a machine that has internet access",
    );
  return new OperationError(`cannot read ${file}: ${(err as Error).message}`);
}

function causeOf(err: unknown): string {
  const e = err as Error & { cause?: Error & { code?: string }; code?: string };
  const inner = e.cause ?? e;
  return inner.code ? `${inner.code} ${inner.message}` : inner.message;
}

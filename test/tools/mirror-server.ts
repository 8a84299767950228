/**
 * Test tooling: a tiny static file server for an artifact mirror built by build-mirror.ts, on 127.0.0.1.
 * It records every request path (tests count them to prove cache hits) and can answer a chosen status for a
 * path (to test errors and retries). `/redirect/<path>` answers 302 to `/<path>` (to test redirects).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface ServedMirror {
  /** Base URL with a trailing slash, e.g. http://127.0.0.1:41234/ */
  url: string;
  /** Every request path, in order (query strings included). */
  requests: string[];
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Return a status code to answer instead of serving the file (e.g. 503 once, to test retries). */
  intercept?: (urlPath: string) => number | undefined;
}

/** Serves `dir` over HTTP on 127.0.0.1. */
export async function serveMirror(dirArg: string, opts: ServeOptions = {}): Promise<ServedMirror> {
  const dir = path.resolve(dirArg);
  const requests: string[] = [];
  const server = http.createServer(async (req, res) => {
    const urlPath = new URL(req.url ?? "/", "http://mirror").pathname;
    requests.push(req.url ?? "/");
    const status = opts.intercept?.(urlPath);
    if (status !== undefined) {
      res.writeHead(status, { "content-type": "text/plain" }).end(`status ${status} by test\n`);
      return;
    }
    if (urlPath.startsWith("/redirect/")) {
      res.writeHead(302, { location: urlPath.slice("/redirect".length) }).end();
      return;
    }
    const file = path.join(dir, ...decodeURIComponent(urlPath).split("/"));
    const size = await stat(file).then(
      (s) => (s.isFile() ? s.size : undefined),
      () => undefined,
    );
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
    } else if (!file.startsWith(`${dir}${path.sep}`) || size === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found\n");
    } else {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
      if (req.method === "HEAD") res.end();
      else createReadStream(file).pipe(res);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `node test/tools/mirror-server.ts DIR [--port N]`: prints the URL on the first line, serves until killed. */
async function main(argv: string[]): Promise<void> {
  const [dir, flag, port] = argv;
  if (!dir || (flag !== undefined && (flag !== "--port" || !/^\d+$/.test(port ?? "")))) {
    throw new Error("usage: node test/tools/mirror-server.ts DIR [--port N]");
  }
  const served = await serveMirror(dir, { port: Number(port ?? 0) });
  process.stdout.write(`${served.url}\n`);
  const stop = () => void served.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(`mirror-server: ${err.message}`);
    process.exitCode = 1;
  });
}

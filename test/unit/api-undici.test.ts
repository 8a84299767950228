// np's undici core (src/api/undici.ts) loads undici's Agent and request from the package's own files: proven here
// on the installed undici, against a local HTTP server, so an undici update that moves them fails this test.
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { undici, undiciFull } from "../../src/api/undici.js";

const seen: { method?: string; url?: string; body: string; header?: string }[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (d) => {
    body += d;
  });
  req.on("end", () => {
    seen.push({ method: req.method, url: req.url, body, header: req.headers["x-np"] as string | undefined });
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true }));
  });
});
const listening = new Promise<number>((r) =>
  server.listen(0, "127.0.0.1", () => r((server.address() as AddressInfo).port)),
);
afterAll(() => new Promise((r) => server.close(r)));

describe("undici's Agent and request, loaded from its own files", () => {
  it("send a request with method, path and query, headers and body, and read the answer", async () => {
    const port = await listening;
    const { Agent, request } = await undici();
    const dispatcher = new Agent({ connections: 1 });
    try {
      const res = await request(`http://127.0.0.1:${port}/v1/kv/x?recurse=1`, {
        dispatcher,
        method: "PUT",
        headers: { "x-np": "yes" },
        body: "hello",
      });
      expect(res.statusCode).toBe(201);
      expect(await res.body.json()).toEqual({ ok: true });
      const get = await request(new URL(`http://127.0.0.1:${port}/v1/status/leader`), { dispatcher });
      await get.body.dump();
      expect(seen).toEqual([
        { method: "PUT", url: "/v1/kv/x?recurse=1", body: "hello", header: "yes" },
        { method: "GET", url: "/v1/status/leader", body: "", header: undefined },
      ]);
    } finally {
      await dispatcher.close();
    }
  });

  it("are the whole package's own classes (a download's agent and a tunnel's are the same undici)", async () => {
    const [core, all] = await Promise.all([undici(), undiciFull()]);
    expect(core.Agent).toBe(all.Agent);
  });

  it("the built np bundles them without undici's fetch, WebSocket or cache (dist/, after npm run build)", () => {
    const dist = path.resolve(import.meta.dirname, "../../dist/cli");
    const maps = readdirSync(dist).filter((f) => f.endsWith(".js.map"));
    const sourcesOf = (f: string) => JSON.parse(readFileSync(path.join(dist, f), "utf8")).sources as string[];
    const core = maps.filter((f) => sourcesOf(f).some((s) => s.endsWith("undici/lib/api/api-request.js")));
    expect(core).toHaveLength(1);
    const sources = sourcesOf(core[0] as string);
    expect(sources.filter((s) => /undici\/lib\/(web|cache|mock)\//.test(s))).toEqual([]);
  });
});

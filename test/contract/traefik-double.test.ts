// Contract test of np's Traefik double on loopback, against a REAL Consul 1.8.7 dev agent: services registered
// through the agent API with tags and HTTP checks, routing by Host, passing-only instances, removal on
// deregistration, ping, basic auth on the dashboard, the JSON access log, ACME storage, graceful stop, and
// Traefik's config checks. Every static config used validates against the SchemaStore Traefik v3 schema.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { fromJSONSchema } from "zod";
import { consulMissing } from "../helpers/consul-binary.js";
import { type ConsulDev, freePort, startConsulDev } from "../helpers/consul-dev.js";

const DOUBLE = fileURLToPath(new URL("../doubles/traefik-double.mjs", import.meta.url));
const SCHEMA = fileURLToPath(new URL("../fixtures/traefik/traefik-v3.schema.json", import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), "np-traefik-double-"));

/** zod reads `$defs` only in 2020-12 schemas; SchemaStore's static schema is draft-07 but keeps them there. */
function validator(file: string) {
  const schema = JSON.parse(readFileSync(file, "utf8"));
  if (schema.$defs) schema.$schema = "https://json-schema.org/draft/2020-12/schema";
  return fromJSONSchema(schema);
}
const staticSchema = validator(SCHEMA);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}: ${String(last)}`);
}

/** An HTTP request with a chosen Host header (fetch cannot set Host). */
function get(port: number, p: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, path: p, method, headers, agent: false }, (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end();
    },
  );
}

/** A backend that answers its name and the headers it got; /healthz answers `healthy` (200) or 500. */
function backend(name: string) {
  const state = { healthy: true, port: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(state.healthy ? 200 : 500).end(state.healthy ? "ok" : "sick");
      return;
    }
    const slow = /^\/slow\?ms=(\d+)$/.exec(req.url ?? "");
    setTimeout(
      () => res.end(JSON.stringify({ name, headers: req.headers, url: req.url })),
      slow ? Number(slow[1]) : 0,
    );
  });
  return new Promise<typeof state & { close: () => void }>((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      state.port = (server.address() as net.AddressInfo).port;
      resolve(Object.assign(state, { close: () => server.close() }));
    }),
  );
}

interface Traefik {
  proc: ChildProcess;
  out: () => string;
}

function startTraefik(config: object, name: string): Traefik {
  expect(staticSchema.safeParse(config).error?.issues ?? []).toEqual([]);
  const file = path.join(work, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  let out = "";
  const proc = spawn(process.execPath, [DOUBLE, `--configFile=${file}`], { cwd: work });
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  return { proc, out: () => out };
}

const exited = (p: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    p.exitCode !== null ? resolve(p.exitCode) : p.once("exit", resolve),
  );

describe.skipIf(consulMissing())("Traefik double against a real Consul 1.8.7 agent", () => {
  let consul: ConsulDev | undefined;
  let consulUrl: string;
  let b1: Awaited<ReturnType<typeof backend>>;
  let b2: Awaited<ReturnType<typeof backend>>;
  let traefik: Traefik;
  const ports = { web: 0, internal: 0, consul: 0 };
  const accessLog = path.join(work, "access.log");
  const acmeStorage = path.join(work, "acme.json");
  const dynDir = path.join(work, "dynamic");
  const users = {
    sha: `admin:{SHA}${createHash("sha1").update("s3cret").digest("base64")}`,
    bcrypt: `ops:${bcrypt.hashSync("b-secret", 5).replace(/^\$2b\$/, "$2y$")}`,
    apr1: "np:$apr1$abcdefgh$M2T3erDstkD7SsE2QQnfH0", // openssl passwd -apr1 -salt abcdefgh s3cret
  };

  const register = (id: string, port: number, tags: string[], check = true) =>
    fetch(`${consulUrl}/v1/agent/service/register`, {
      method: "PUT",
      body: JSON.stringify({
        ID: id,
        Name: "web",
        Address: "127.0.0.1",
        Port: port,
        Tags: tags,
        ...(check && { Check: { HTTP: `http://127.0.0.1:${port}/healthz`, Interval: "1s", Timeout: "1s" } }),
      }),
    }).then((r) => expect(r.status).toBe(200));
  const webTags = [
    "traefik.enable=true",
    "traefik.http.routers.web.rule=Host(`web.example.com`)",
    "traefik.http.routers.web.entrypoints=web",
  ];
  const hitWeb = () => get(ports.web, "/hello", { host: "web.example.com" });
  const names = async (n: number) => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await hitWeb();
      seen.push(r.status === 200 ? JSON.parse(r.body).name : String(r.status));
    }
    return seen;
  };

  beforeAll(async () => {
    Object.assign(ports, { web: await freePort(), internal: await freePort() });
    consul = await startConsulDev({ node: "traefik-double-test" });
    consulUrl = consul.url;
    ports.consul = consul.port;
    b1 = await backend("b1");
    b2 = await backend("b2");
    await register("web-1", b1.port, webTags);
    await register("web-2", b2.port, webTags);
    // Not exposed: no traefik.enable tag, exposedByDefault is false.
    await fetch(`${consulUrl}/v1/agent/service/register`, {
      method: "PUT",
      body: JSON.stringify({
        ID: "hidden",
        Name: "hidden",
        Port: b1.port,
        Tags: ["traefik.http.routers.h.rule=Host(`hidden.example.com`)"],
      }),
    });
    mkdirSync(dynDir);
    const dynamic = {
      http: {
        routers: {
          dashboard: {
            rule: "Host(`traefik.example.com`)",
            entryPoints: ["web"],
            service: "api@internal",
            middlewares: ["auth"],
          },
          empty: { rule: "Host(`empty.example.com`)", entryPoints: ["web"], service: "nothing" },
        },
        middlewares: { auth: { basicAuth: { users: Object.values(users) } } },
        services: { nothing: { loadBalancer: { servers: [] } } },
      },
    };
    writeFileSync(path.join(dynDir, "dashboard.yaml"), stringify(dynamic));
    traefik = startTraefik(
      {
        entryPoints: {
          web: { address: `127.0.0.1:${ports.web}` },
          traefik: { address: `127.0.0.1:${ports.internal}` },
        },
        ping: { entryPoint: "traefik" },
        api: { dashboard: true },
        log: { level: "INFO", format: "json" },
        accessLog: { format: "json", filePath: accessLog },
        certificatesResolvers: {
          le: {
            acme: { email: "ops@example.com", storage: acmeStorage, httpChallenge: { entryPoint: "web" } },
          },
        },
        providers: {
          providersThrottleDuration: "500ms",
          file: { directory: dynDir, watch: true },
          consulCatalog: {
            exposedByDefault: false,
            watch: true,
            refreshInterval: "30s",
            endpoint: { address: `127.0.0.1:${ports.consul}`, scheme: "http" },
          },
        },
      },
      "main",
    );
    await until("both instances routed", async () =>
      (await names(4)).sort().join() === "b1,b1,b2,b2" ? true : undefined,
    );
  }, 60_000);

  afterAll(async () => {
    traefik?.proc.kill("SIGKILL");
    consul?.stop();
    b1?.close();
    b2?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("prints `traefik version` in Traefik's layout", () => {
    const r = spawnSync(process.execPath, [DOUBLE, "version"], { encoding: "utf8" });
    expect(r.stdout).toMatch(
      /^Version: {6}3\.7\.9\nCodename: {5}langres\nGo version: {3}go1\.26\nBuilt: {8}\S+\nOS\/Arch: {6}linux\/\w+\n$/,
    );
  });

  it("routes by Host in turn to passing instances, with X-Forwarded-* headers, and 404s the rest", async () => {
    const r = await hitWeb();
    const seen = JSON.parse(r.body).headers;
    expect(seen).toMatchObject({
      host: "web.example.com",
      "x-forwarded-host": "web.example.com",
      "x-forwarded-proto": "http",
      "x-forwarded-port": "80",
      "x-forwarded-for": "127.0.0.1",
      "x-real-ip": "127.0.0.1",
    });
    expect(seen["x-forwarded-server"]).toBeTruthy();
    for (const host of ["other.example.com", "hidden.example.com"]) {
      const miss = await get(ports.web, "/", { host });
      expect([miss.status, miss.body, miss.headers["content-type"]]).toEqual([
        404,
        "404 page not found\n",
        "text/plain; charset=utf-8",
      ]);
    }
  });

  it("stops routing to an instance whose check turns critical, and routes to it again when it passes", async () => {
    b2.healthy = false;
    await until("b2 out", async () => ((await names(6)).every((n) => n === "b1") ? true : undefined));
    b2.healthy = true;
    await until("b2 back", async () => ((await names(4)).includes("b2") ? true : undefined));
  }, 30_000);

  it("drops a deregistered instance within seconds (blocking-query watch)", async () => {
    const t0 = Date.now();
    await fetch(`${consulUrl}/v1/agent/service/deregister/web-2`, { method: "PUT" });
    await until(
      "b2 gone",
      async () => ((await names(6)).every((n) => n === "b1") ? true : undefined),
      10_000,
    );
    expect(Date.now() - t0).toBeLessThan(5_000); // the throttle is 500ms here; generous for a loaded machine
    await fetch(`${consulUrl}/v1/agent/service/deregister/web-1`, { method: "PUT" });
    await until("the router gone with its last instance", async () =>
      (await hitWeb()).status === 404 ? true : undefined,
    );
    await register("web-1", b1.port, webTags);
    await until("b1 back", async () => ((await hitWeb()).status === 200 ? true : undefined));
  }, 30_000);

  it("answers 502 Bad Gateway for an instance nobody listens on, and 503 for a service without servers", async () => {
    const deadPort = await freePort();
    const tags = ["traefik.enable=true", "traefik.http.routers.dead.rule=Host(`dead.example.com`)"];
    await fetch(`${consulUrl}/v1/agent/service/register`, {
      method: "PUT",
      body: JSON.stringify({ ID: "dead", Name: "dead", Address: "127.0.0.1", Port: deadPort, Tags: tags }),
    });
    const dead = await until("the dead router", async () => {
      const r = await get(ports.web, "/", { host: "dead.example.com" });
      return r.status === 404 ? undefined : r;
    });
    expect([dead.status, dead.body]).toEqual([502, "Bad Gateway"]);
    const empty = await get(ports.web, "/", { host: "empty.example.com" });
    expect([empty.status, empty.body]).toEqual([503, "no available server\n"]);
  });

  it("answers GET and HEAD /ping with 200 OK on the ping entry point only", async () => {
    const ping = await get(ports.internal, "/ping");
    expect([ping.status, ping.body, ping.headers["content-type"]]).toEqual([
      200,
      "OK",
      "text/plain; charset=utf-8",
    ]);
    expect((await get(ports.internal, "/ping", {}, "HEAD")).status).toBe(200);
    expect((await get(ports.web, "/ping", { host: "web.example.com" })).status).toBe(200); // routed to a backend
    expect(JSON.parse((await get(ports.web, "/ping", { host: "web.example.com" })).body).name).toBe("b1");
  });

  it("serves the API and dashboard only behind basic auth ({SHA}, bcrypt and apr1 hashes)", async () => {
    const host = "traefik.example.com";
    const none = await get(ports.web, "/api/overview", { host });
    expect([none.status, none.body, none.headers["www-authenticate"]]).toEqual([
      401,
      "401 Unauthorized\n",
      'Basic realm="traefik"',
    ]);
    const auth = (u: string, p: string) => ({
      host,
      authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`,
    });
    expect((await get(ports.web, "/api/overview", auth("admin", "wrong"))).status).toBe(401);
    for (const [u, p] of [
      ["admin", "s3cret"],
      ["ops", "b-secret"],
      ["np", "s3cret"],
    ]) {
      const ok = await get(ports.web, "/api/overview", auth(u, p));
      expect(ok.status).toBe(200);
      expect(Object.keys(JSON.parse(ok.body)).sort()).toEqual([
        "features",
        "http",
        "providers",
        "tcp",
        "udp",
      ]);
    }
    const routers = JSON.parse((await get(ports.web, "/api/http/routers", auth("admin", "s3cret"))).body);
    expect(routers.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(["web@consulcatalog", "dashboard@file", "ping@internal"]),
    );
    expect(Object.keys(routers.find((r: { name: string }) => r.name === "web@consulcatalog")).sort()).toEqual(
      ["entryPoints", "middlewares", "name", "priorityStr", "provider", "rule", "service", "status", "using"],
    );
    const version = JSON.parse((await get(ports.web, "/api/version", auth("admin", "s3cret"))).body);
    expect(version).toMatchObject({ Version: "3.7.9", Codename: "langres" });
    const raw = JSON.parse((await get(ports.web, "/api/rawdata", auth("admin", "s3cret"))).body);
    expect(Object.keys(raw).sort()).toEqual(["middlewares", "routers", "services"]);
    const dash = await get(ports.web, "/dashboard/", auth("admin", "s3cret"));
    expect(dash.body).toContain("np TEST DOUBLE");
  });

  it("writes the access log as JSON with Traefik's field names", async () => {
    await hitWeb();
    const entries = await until("access log lines", async () => {
      const lines = readFileSync(accessLog, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      return lines.find((e) => e.RouterName === "web@consulcatalog" && e.DownstreamStatus === 200)
        ? lines
        : undefined;
    });
    const e = entries.find((x) => x.RouterName === "web@consulcatalog" && x.DownstreamStatus === 200);
    for (const k of [
      "ClientAddr",
      "ClientHost",
      "Duration",
      "OriginStatus",
      "RequestHost",
      "RequestMethod",
      "RequestPath",
    ])
      expect(e).toHaveProperty(k);
    expect(e).toMatchObject({
      entryPointName: "web",
      ServiceName: "web@consulcatalog",
      RequestHost: "web.example.com",
      level: "info",
      msg: "",
    });
    expect(entries.some((x) => x.RouterName === "ping@internal")).toBe(false); // internal routers: addInternals off
  });

  it("creates the ACME storage file with mode 0600 and requests nothing", () => {
    expect(statSync(acmeStorage).mode & 0o777).toBe(0o600);
    expect(readFileSync(acmeStorage, "utf8")).toBe("");
  });

  it("refuses unknown keys like Traefik (case-insensitive names, unknown top-level keys ignored)", () => {
    const run = (yaml: string) => {
      const file = path.join(work, `check-${createHash("md5").update(yaml).digest("hex")}.yaml`);
      writeFileSync(file, yaml);
      return spawnSync(process.execPath, [DOUBLE, `--configFile=${file}`], {
        encoding: "utf8",
        timeout: 10_000,
      });
    };
    const bad = run("providers:\n  consulCatalog:\n    exposedByDefaultt: false\n");
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stderr)).toMatchObject({
      level: "error",
      error: "command traefik error: field not found, node: exposedByDefaultt",
      message: "Command error",
    });
    expect(JSON.parse(run("providers:\n  file: {}\n").stderr).error).toBe(
      "command traefik error: file cannot be a standalone element (type *file.Provider)",
    );
    expect(JSON.parse(run("nonsense: 1\n").stderr).error).toMatch(
      /^command traefik error: no valid configuration found in file: /,
    );
  });

  it("stops gracefully on SIGTERM: ping turns 503, in-flight requests finish, new connections are refused", async () => {
    const [web, internal] = [await freePort(), await freePort()];
    const b = await backend("slow");
    const dir = path.join(work, "graceful");
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, "r.yaml"),
      stringify({
        http: {
          routers: { s: { rule: "PathPrefix(`/`)", service: "s", entryPoints: ["web"] } },
          services: { s: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${b.port}` }] } } },
        },
      }),
    );
    const t = startTraefik(
      {
        entryPoints: {
          web: {
            address: `127.0.0.1:${web}`,
            transport: { lifeCycle: { requestAcceptGraceTimeout: "1s", graceTimeOut: "10s" } },
          },
          // Each entry point shuts down on its own: ping can answer 503 only while its entry point still accepts.
          traefik: {
            address: `127.0.0.1:${internal}`,
            transport: { lifeCycle: { requestAcceptGraceTimeout: "1s" } },
          },
        },
        ping: {},
        providers: { file: { directory: dir } },
      },
      "graceful",
    );
    await until("routed", async () => ((await get(web, "/")).status === 200 ? true : undefined));
    const inFlight = get(web, "/slow?ms=2500");
    await sleep(200);
    t.proc.kill("SIGTERM");
    await until(
      "ping 503",
      async () => ((await get(internal, "/ping")).status === 503 ? true : undefined),
      900,
    );
    expect((await get(web, "/")).status).toBe(200); // still accepting during requestAcceptGraceTimeout
    await until("connections refused", async () =>
      get(web, "/").then(
        () => undefined,
        (err) => (err.code === "ECONNREFUSED" ? true : undefined),
      ),
    );
    const slow = await inFlight;
    expect([slow.status, JSON.parse(slow.body).name]).toEqual([200, "slow"]);
    expect(await exited(t.proc)).toBe(0);
    b.close();
  }, 30_000);
});

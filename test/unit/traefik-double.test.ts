// Unit tests of np's Traefik double: paerser's decoding rules, static defaults, rules, basicAuth hashes, the
// Consul Catalog item → configuration step, and the runtime's router checks.
import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { checkSecret, md5Crypt } from "../doubles/traefik/basic-auth.mjs";
import {
  aggregatedStatus,
  buildConfiguration,
  matchConstraints,
  normalize,
  renderDefaultRule,
  tagsToLabels,
} from "../doubles/traefik/consul-catalog.mjs";
import {
  DecodeError,
  DYNAMIC_KEYS,
  decodeFile,
  parseDuration,
  STATIC_KEYS,
} from "../doubles/traefik/decode.mjs";
import { canonicalHost, compileRule, RuleError, routingPath } from "../doubles/traefik/rules.mjs";
import { buildRuntime, defaultEntryPoints, internalConfiguration } from "../doubles/traefik/runtime.mjs";
import { normalizeStatic } from "../doubles/traefik/static.mjs";

const decodeStatic = (data: unknown) => decodeFile(data, STATIC_KEYS, "/etc/traefik/traefik.yaml");

describe("static config decoding (paerser rules)", () => {
  it("matches keys case-insensitively and returns the canonical names", () => {
    const d = decodeStatic({ providers: { consulcatalog: { EXPOSEDBYDEFAULT: false } } });
    expect(d).toEqual({ providers: { consulCatalog: { exposedByDefault: false } } });
  });

  it("refuses unknown nested keys, ignores unknown top-level keys, skips nulls", () => {
    expect(() => decodeStatic({ entryPoints: { web: { adress: ":80" } } })).toThrow(
      "field not found, node: adress",
    );
    expect(decodeStatic({ nonsense: 1, ping: {} })).toEqual({ ping: {} });
    expect(() => decodeStatic({ nonsense: 1 })).toThrow(
      "no valid configuration found in file: /etc/traefik/traefik.yaml",
    );
    expect(() => decodeStatic({})).toThrow(DecodeError);
    expect(decodeStatic({ ping: null, api: {} })).toEqual({ api: {} });
  });

  it("needs allowEmpty for an empty section, and disables one given a value other than true", () => {
    expect(() => decodeStatic({ providers: { file: {} } })).toThrow(
      "file cannot be a standalone element (type *file.Provider)",
    );
    expect(decodeStatic({ ping: true, api: false, log: {} })).toEqual({ ping: {}, log: {} });
  });

  it("decodes lists of structs (tls domains) and maps (entry points, resolvers)", () => {
    const d = decodeStatic({
      entryPoints: {
        websecure: { address: ":443", http: { tls: { domains: [{ main: "a.example", sans: ["b"] }] } } },
      },
      certificatesResolvers: { le: { acme: { httpChallenge: { entryPoint: "web" } } } },
    });
    expect(d.entryPoints.websecure.http.tls.domains).toEqual([{ main: "a.example", sans: ["b"] }]);
    expect(d.certificatesResolvers.le.acme.httpChallenge.entryPoint).toBe("web");
  });

  it('ignores file:"-" fields of the dynamic configuration (server port and scheme are for tags only)', () => {
    const d = decodeFile(
      { http: { services: { s: { loadBalancer: { servers: [{ url: "http://x", port: "1" }] } } } } },
      DYNAMIC_KEYS,
      "d.yaml",
    );
    expect(d.http.services.s.loadBalancer.servers).toEqual([{ url: "http://x" }]);
  });

  it("reads durations as Traefik does (an integer is seconds)", () => {
    expect(parseDuration(15, "x")).toBe(15_000);
    expect(parseDuration("1m30s", "x")).toBe(90_000);
    expect(parseDuration("250ms", "x")).toBe(250);
    expect(() => parseDuration("soon", "refreshInterval")).toThrow('time: invalid duration "soon"');
  });
});

describe("static defaults and effective configuration", () => {
  it("adds the http entry point when none is defined and the traefik one when ping needs it", () => {
    const st = normalizeStatic({ ping: {} });
    expect(Object.keys(st.entryPoints).sort()).toEqual(["http", "traefik"]);
    expect(st.entryPoints.http.address).toBe(":80");
    expect(st.entryPoints.traefik.address).toBe(":8080");
    expect(st.ping).toEqual({ entryPoint: "traefik", manualRouting: false, terminatingStatusCode: 503 });
    expect(st.entryPoints.http.transport.lifeCycle).toEqual({
      requestAcceptGraceTimeout: 0,
      graceTimeOut: 10_000,
    });
  });

  it("uses the consulCatalog defaults of SetDefaults", () => {
    const cc = normalizeStatic({ providers: { consulCatalog: {} } }).providers.consulCatalog;
    expect(cc).toMatchObject({
      prefix: "traefik",
      refreshInterval: 15_000,
      exposedByDefault: true,
      watch: false,
      strictChecks: ["passing", "warning"],
      defaultRule: "Host(`{{ normalize .Name }}`)",
    });
  });

  it("validates ACME storage and the API base path", () => {
    expect(() => normalizeStatic({ certificatesResolvers: { le: { acme: { storage: "" } } } })).toThrow(
      'unable to initialize certificates resolver "le" with no storage location for the certificates',
    );
    expect(
      normalizeStatic({ certificatesResolvers: { le: { acme: {} } } }).certificatesResolvers.le.acme.storage,
    ).toBe("acme.json");
    expect(() => normalizeStatic({ api: { basePath: "no-slash" } })).toThrow(
      "API basePath must be a valid absolute URL path",
    );
  });

  it("excludes the traefik entry point from the defaults, or keeps only asDefault ones", () => {
    const st = normalizeStatic({
      entryPoints: { web: { address: ":80" }, websecure: { address: ":443" }, traefik: { address: ":8082" } },
    });
    expect(defaultEntryPoints(st)).toEqual(["web", "websecure"]);
    st.entryPoints.websecure.asDefault = true;
    expect(defaultEntryPoints(st)).toEqual(["websecure"]);
  });
});

const req = (
  host: string,
  path = "/",
  extra: Partial<{ method: string; headers: Record<string, string> }> = {},
) => ({
  method: extra.method ?? "GET",
  headers: extra.headers ?? {},
  canonicalHost: canonicalHost(host),
  routingPath: routingPath(path),
  query: new URLSearchParams(),
  remoteIp: "127.0.0.1",
});

describe("rules (v3 syntax)", () => {
  it("matches Host case-insensitively, without the port, with wildcards and trailing dots", () => {
    const m = compileRule("Host(`Web.Example.com`)");
    expect(m(req("web.example.com:8080"))).toBe(true);
    expect(m(req("web.example.com."))).toBe(true);
    expect(m(req("other.example.com"))).toBe(false);
    expect(compileRule("Host(`*.example.com`)")(req("a.example.com"))).toBe(true);
  });

  it("combines matchers with ||, && and ! and parentheses", () => {
    const m = compileRule('(Host(`a.x`) || Host("b.x")) && PathPrefix(`/api`) && !Method(`DELETE`)');
    expect(m(req("b.x", "/api/v1"))).toBe(true);
    expect(m(req("b.x", "/web"))).toBe(false);
    expect(m(req("a.x", "/api", { method: "DELETE" }))).toBe(false);
    expect(compileRule("Header(`X-A`, `1`)")(req("a", "/", { headers: { "x-a": "1" } }))).toBe(true);
  });

  it("refuses what Traefik refuses", () => {
    expect(() => compileRule("Host(`a`, `b`)")).toThrow(
      "unexpected number of parameters; got 2, expected one of [1]",
    );
    expect(() => compileRule("PathPrefix(`api`)")).toThrow(`path "api" does not start with a '/'`);
    expect(() => compileRule("Hots(`a`)")).toThrow(RuleError);
    expect(() => compileRule("Host(`a`")).toThrow(RuleError);
  });

  it("routes on the path with non-reserved characters decoded", () => {
    expect(routingPath("/foo%20bar/%2F")).toBe("/foo bar/%2F");
  });
});

describe("basicAuth hashes (go-http-auth CheckSecret)", () => {
  it("checks {SHA}, MD5-crypt ($apr1$, $1$) and bcrypt, and never plain text", () => {
    expect(md5Crypt("s3cret", "abcdefgh", "$apr1$")).toBe("$apr1$abcdefgh$M2T3erDstkD7SsE2QQnfH0"); // openssl passwd -apr1
    expect(md5Crypt("s3cret", "xyz", "$1$")).toBe("$1$xyz$LR4giuEdCJh9gZXQkz20T/"); // openssl passwd -1
    const sha = `{SHA}${createHash("sha1").update("s3cret").digest("base64")}`;
    expect(checkSecret("s3cret", sha)).toBe(true);
    expect(checkSecret("wrong", sha)).toBe(false);
    expect(checkSecret("s3cret", "$apr1$abcdefgh$M2T3erDstkD7SsE2QQnfH0")).toBe(true);
    const hash = bcrypt.hashSync("s3cret", 4);
    for (const prefix of ["$2a$", "$2b$", "$2y$"])
      expect(checkSecret("s3cret", hash.replace(/^\$2b\$/, prefix))).toBe(true);
    expect(checkSecret("s3cret", "s3cret")).toBe(false);
  });
});

describe("Consul Catalog items to configuration", () => {
  const cfg = normalizeStatic({ providers: { consulCatalog: { exposedByDefault: false } } }).providers
    .consulCatalog;
  const item = (id: string, port: number, tags: string[], status = "passing") => ({
    id,
    node: "node1",
    name: "web",
    address: "10.0.0.1",
    port: String(port),
    labels: tagsToLabels(tags, "traefik"),
    tags,
    status,
    extra: { enable: tags.includes("traefik.enable=true"), connect: false },
  });

  it("normalizes names and aggregates check statuses like consul/api", () => {
    expect(normalize("node1-my_app-_nomad-task-abc")).toBe("node1-my-app-nomad-task-abc");
    expect(
      aggregatedStatus([
        { CheckID: "serfHealth", Status: "passing" },
        { CheckID: "c", Status: "warning" },
      ]),
    ).toBe("warning");
    expect(
      aggregatedStatus([
        { CheckID: "a", Status: "critical" },
        { CheckID: "b", Status: "passing" },
      ]),
    ).toBe("critical");
    expect(aggregatedStatus([{ CheckID: "_node_maintenance", Status: "critical" }])).toBe("maintenance");
    expect(aggregatedStatus([])).toBe("passing");
  });

  it("merges instances into one service with both servers and one router, and drops unhealthy ones", () => {
    const tags = ["traefik.enable=true", "traefik.http.routers.web.rule=Host(`web.example.com`)"];
    const conf = buildConfiguration(
      cfg,
      [item("a", 1, tags), item("b", 2, tags), item("c", 3, tags, "critical")],
      () => {},
    );
    expect(conf.http.routers).toEqual({ web: { rule: "Host(`web.example.com`)", service: "web" } });
    expect(conf.http.services.web.loadBalancer.servers).toEqual([
      { url: "http://10.0.0.1:1" },
      { url: "http://10.0.0.1:2" },
    ]);
  });

  it("uses the default rule, the server.port tag, and skips items with unknown tag fields", () => {
    const logs: string[] = [];
    const conf = buildConfiguration(
      cfg,
      [
        item("a", 1, ["traefik.enable=true", "traefik.http.services.web.loadbalancer.server.port=8080"]),
        item("b", 2, ["traefik.enable=true", "traefik.http.routers.x.rulez=Host(`x`)"]),
      ],
      (_l: string, m: string) => logs.push(m),
    );
    expect(conf.http.routers.web.rule).toBe("Host(`web`)");
    expect(conf.http.services.web.loadBalancer.servers).toEqual([{ url: "http://10.0.0.1:8080" }]);
    expect(logs).toContain("field not found, node: rulez");
  });

  it("renders the default-rule template and constraints it models", () => {
    expect(renderDefaultRule("Host(`{{ .Name }}.example.com`)", { name: "api", labels: {} })).toBe(
      "Host(`api.example.com`)",
    );
    expect(renderDefaultRule("{{ sprigThing }}", { name: "api", labels: {} })).toBeNull();
    expect(matchConstraints(["edge", "public"], "Tag(`edge`) && !Tag(`internal`)")).toBe(true);
  });
});

describe("runtime", () => {
  it("qualifies names, gives default entry points and disables broken routers with Traefik's texts", () => {
    const st = normalizeStatic({
      entryPoints: { web: { address: ":80" }, traefik: { address: ":8082" } },
      ping: {},
    });
    const rt = buildRuntime(st, {
      internal: internalConfiguration(st),
      file: {
        http: {
          routers: {
            ok: { rule: "Host(`a`)", service: "s" },
            nosvc: { rule: "Host(`b`)", service: "missing" },
            badep: { rule: "Host(`c`)", service: "s", entryPoints: ["nowhere"] },
          },
          services: { s: { loadBalancer: { servers: [{ url: "http://127.0.0.1:1" }] } } },
        },
      },
    });
    expect(rt.routers["ok@file"]).toMatchObject({
      status: "enabled",
      entryPoints: ["web"],
      service: "s@file",
    });
    expect(rt.routers["nosvc@file"]).toMatchObject({
      status: "disabled",
      err: ['the service "missing@file" does not exist'],
    });
    expect(rt.routers["badep@file"].err).toEqual(['entryPoint "nowhere" doesn\'t exist']);
    expect(rt.byEntryPoint.traefik.map((r: { name: string }) => r.name)).toEqual(["ping@internal"]);
  });
});

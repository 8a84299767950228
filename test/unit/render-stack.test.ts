import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fromJSONSchema } from "zod";
import { desiredHost } from "../../src/components/index.js";
import { isPassword } from "../../src/secrets/index.js";
import { cluster, hostOf, SECRET_VALUES, SECRETS } from "./render-fixtures.js";

/** SchemaStore's Traefik v3 static schema (draft-07 with $defs, which zod reads only in 2020-12 schemas). */
const schemaFile = fileURLToPath(new URL("../fixtures/traefik/traefik-v3.schema.json", import.meta.url));
const schemaJson = JSON.parse(readFileSync(schemaFile, "utf8"));
schemaJson.$schema = "https://json-schema.org/draft/2020-12/schema";
const staticSchema = fromJSONSchema(schemaJson);

const fileOf = (inv: ReturnType<typeof cluster>, host: string, path: string) => {
  const f = desiredHost(inv, hostOf(inv, host), SECRETS).files.find((x) => x.path === path);
  if (!f) throw new Error(`${host} has no ${path}`);
  return f;
};

describe("Traefik on edge hosts", () => {
  const variants = {
    plain: cluster(),
    acme: { ...cluster(), traefik: { acmeEmail: "ops@example.com" } },
    dashboard: {
      ...cluster(),
      traefik: { acmeEmail: "ops@example.com", dashboardHost: "traefik.example.com" },
    },
  };

  it("renders a static config that Traefik v3's schema accepts, in every variant", () => {
    for (const [name, inv] of Object.entries(variants)) {
      const doc = parse(fileOf(inv, "edge-1", "/etc/traefik/traefik.yaml").content);
      const r = staticSchema.safeParse(doc);
      expect(r.success, `${name}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
    }
  });

  it("routes only tagged services, follows the catalog, pings on the private address only", () => {
    const doc = parse(fileOf(variants.plain, "edge-1", "/etc/traefik/traefik.yaml").content);
    expect(doc.providers.consulCatalog).toMatchObject({
      exposedByDefault: false,
      watch: true,
      endpoint: { address: "127.0.0.1:8500" },
    });
    expect(doc.entryPoints).toMatchObject({
      web: { address: ":80" },
      websecure: { address: ":443" },
      traefik: { address: "10.213.8.31:8082" },
    });
    expect(doc.ping).toEqual({ entryPoint: "traefik" });
    expect(doc.api).toBeUndefined();
    expect(doc.certificatesResolvers).toBeUndefined();
    expect(doc.accessLog).toEqual({ format: "json" });
    const acme = parse(fileOf(variants.acme, "edge-1", "/etc/traefik/traefik.yaml").content);
    expect(acme.certificatesResolvers.letsencrypt.acme).toEqual({
      email: "ops@example.com",
      storage: "/var/lib/traefik/acme.json",
      httpChallenge: { entryPoint: "web" },
    });
  });

  it("puts the dashboard behind basic auth with np's password, the same bytes on every run", () => {
    const f = fileOf(variants.dashboard, "edge-1", "/etc/traefik/dynamic/np-dashboard.yaml");
    expect(f.secret).toBe(true);
    expect(f.restarts).toEqual([]);
    const doc = parse(f.content);
    const [line] = doc.http.middlewares["np-dashboard-auth"].basicAuth.users as string[];
    const [user, hash] = (line ?? "").split(":");
    expect(user).toBe("admin");
    expect(hash).toMatch(/^\$2b\$10\$/);
    expect(bcrypt.compareSync(SECRET_VALUES["traefik-dashboard"] ?? "", hash ?? "")).toBe(true);
    expect(f.content).not.toContain(SECRET_VALUES["traefik-dashboard"]);
    expect(fileOf(variants.dashboard, "edge-1", f.path).content).toBe(f.content);
    expect(doc.http.routers["np-dashboard"]).toMatchObject({
      rule: "Host(`traefik.example.com`)",
      service: "api@internal",
      entryPoints: ["websecure"],
    });
  });

  it("runs as its own user with only the capability to bind low ports, and registers with Consul", () => {
    const unit = fileOf(variants.plain, "edge-1", "/etc/systemd/system/traefik.service").content;
    expect(unit).toMatch(/^User=traefik$/m);
    expect(unit).toMatch(/^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
    expect(unit).toMatch(
      /^ExecStart=\/usr\/local\/bin\/traefik --configFile=\/etc\/traefik\/traefik\.yaml$/m,
    );
    const svc = JSON.parse(fileOf(variants.plain, "edge-1", "/etc/consul.d/traefik.json").content);
    expect(svc.service.check.http).toBe("http://10.213.8.31:8082/ping");
  });

  it("is only on edge hosts", () => {
    const inv = variants.plain;
    for (const h of inv.hosts) {
      const runs = desiredHost(inv, h, SECRETS).components.some((c) => c.name === "traefik");
      expect(runs, h.name).toBe(h.roles.includes("edge"));
    }
  });
});

describe("OpenObserve on the observe host", () => {
  const inv = cluster();

  it("gets its root password and settings from a 0600 root env file, bound to the private address", () => {
    const f = fileOf(inv, "observe-1", "/etc/openobserve/openobserve.env");
    expect([f.mode, f.owner, f.group, f.secret]).toEqual(["0600", "root", "root", true]);
    const env = Object.fromEntries(
      f.content
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(env).toEqual({
      ZO_ROOT_USER_EMAIL: "admin@np.local",
      ZO_ROOT_USER_PASSWORD: SECRET_VALUES["openobserve-root"],
      ZO_DATA_DIR: "/var/lib/openobserve/",
      ZO_HTTP_ADDR: "10.213.8.41",
      ZO_HTTP_PORT: "5080",
      ZO_GRPC_ADDR: "10.213.8.41",
      ZO_GRPC_PORT: "5081",
      ZO_LOCAL_MODE: "true",
      ZO_LOCAL_MODE_STORAGE: "disk",
      ZO_TELEMETRY: "false",
    });
  });

  it("is registered in Consul as service openobserve with its /healthz as the check (a reload, not a restart)", () => {
    const f = fileOf(inv, "observe-1", "/etc/consul.d/openobserve.json");
    expect(f.restarts).toEqual([]);
    expect(f.reloads).toEqual(["consul"]);
    expect(JSON.parse(f.content).service).toMatchObject({
      name: "openobserve",
      port: 5080,
      check: { http: "http://10.213.8.41:5080/healthz" },
    });
  });
});

describe("generated passwords", () => {
  it("meet OpenObserve's policy and need no quoting", async () => {
    const { generatePassword } = await import("../../src/secrets/index.js");
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      expect(p).toHaveLength(24);
      expect(isPassword(p)).toBe(true);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[0-9]/);
      expect(p).toMatch(/[-_.]/);
      expect(p).toMatch(/^[A-Za-z0-9._-]+$/);
    }
  });
});

import { describe, expect, it } from "vitest";
import { serviceTags } from "../../src/app/traefik-tags.js";
import type { HostRun, RunContext } from "../../src/cluster/context.js";
import { httpRoutedHosts, waitRoutedAgain } from "../../src/cluster/edge-routes.js";

describe("the host names an edge must route again after its restart", () => {
  it("come from the routers in the catalog's tags: np's apps over HTTP, several hosts per rule, once each", () => {
    const catalog = {
      consul: [],
      traefik: null,
      web: serviceTags("web", ["web.example.com", "www.example.com"], false),
      api: serviceTags("api", ["api.example.com", "web.example.com"], false),
      // Over HTTPS (ACME): the web entry point would only redirect or refuse it, so it is not asked.
      shop: serviceTags("shop", ["shop.example.com"], true),
      // Not routed: no traefik.enable, or no rule.
      worker: serviceTags("worker", [], false),
      other: ["traefik.http.routers.x.rule=Host(`hidden.example.com`)"],
      custom: ["traefik.enable=true", "traefik.http.routers.blog.rule=Host(`blog.example.com`)"],
    };
    expect(httpRoutedHosts(catalog)).toEqual([
      "api.example.com",
      "blog.example.com",
      "web.example.com",
      "www.example.com",
    ]);
  });

  it("are none for a catalog without routed services", () => {
    expect(httpRoutedHosts({})).toEqual([]);
    expect(httpRoutedHosts({ consul: [], nomad: ["http", "rpc"] })).toEqual([]);
  });
});

describe("an edge's restart gate on its routes", () => {
  const warnings: string[] = [];
  const ctx = { out: { warn: (l: string) => warnings.push(l) }, signal: undefined } as unknown as RunContext;
  const host = { spec: { name: "edge-1" }, conn: { isLost: false } } as unknown as HostRun;

  it("returns only once every host name it routed before is routed again", async () => {
    // The restarted Traefik answers 404 for web.example.com three times, api.example.com once, then routes both.
    const left: Record<string, number> = { "web.example.com": 3, "api.example.com": 1 };
    const asked: string[] = [];
    await waitRoutedAgain(ctx, host, 80, Object.keys(left), 10_000, async (_h, port, name) => {
      expect(port).toBe(80);
      asked.push(name);
      left[name] = (left[name] ?? 0) - 1;
      return (left[name] ?? 0) < 0;
    });
    expect(asked.filter((n) => n === "web.example.com")).toHaveLength(4);
    expect(asked.filter((n) => n === "api.example.com")).toHaveLength(2);
    expect(warnings).toEqual([]);
  });

  it("says which host names the edge still does not route when the wait ends, and goes on", async () => {
    await waitRoutedAgain(ctx, host, 80, ["a.example.com", "b.example.com"], 500, async (_h, _p, n) =>
      n.startsWith("b"),
    );
    expect(warnings).toEqual([
      "edge-1: traefik answers /ping but does not route a.example.com yet (1 s after its restart): going on",
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { serviceTags } from "../../src/app/traefik-tags.js";
import { httpRoutedHosts } from "../../src/cluster/edge-routes.js";

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

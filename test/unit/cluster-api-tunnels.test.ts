import { describe, expect, it } from "vitest";
import { ApiTunnels } from "../../src/cluster/apis.js";
import type { SshConnection } from "../../src/remote/connection.js";

// np up's early reads make APIs before the security stages are known; once a server is known to serve plain
// HTTP only (a cluster of an earlier np, mid-migration), the API handed out for it must be the plain one.
const conn = { name: "node1" } as unknown as SshConnection;
const originOf = (api: unknown) => (api as { origin: string }).origin;

describe("ApiTunnels", () => {
  it("never hands out an HTTPS API made earlier for a server marked plain HTTP afterwards", async () => {
    const tunnels = new ApiTunnels({ ca: "CA" }, { tls: { ca: "CA", cert: "C", key: "K" } });
    try {
      expect(originOf(tunnels.for("consul", conn, "10.0.0.1"))).toBe("https://127.0.0.1:8501");
      expect(originOf(tunnels.for("nomad", conn, "10.0.0.1"))).toBe("https://10.0.0.1:4646");
      tunnels.consulAccess.plainHttp = new Set(["node1"]);
      tunnels.nomadAccess.plainHttp = new Set(["node1"]);
      expect(originOf(tunnels.for("consul", conn, "10.0.0.1"))).toBe("http://127.0.0.1:8500");
      expect(originOf(tunnels.for("nomad", conn, "10.0.0.1"))).toBe("http://10.0.0.1:4646");
      // Once its step gave it HTTPS (run-steps drops it from the set), the HTTPS API again.
      tunnels.nomadAccess.plainHttp.delete("node1");
      tunnels.forget("nomad", conn);
      expect(originOf(tunnels.for("nomad", conn, "10.0.0.1"))).toBe("https://10.0.0.1:4646");
    } finally {
      await tunnels.close();
    }
  });
});

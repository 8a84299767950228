import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkDrivers } from "../../src/app/index.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures");
const nodes = JSON.parse(readFileSync(path.join(fixtures, "app/nodes.mixed-drivers.json"), "utf8"));

describe("checkDrivers (GET /v1/nodes before registering)", () => {
  it("lists the clients that lack a healthy docker driver and says np does not install Docker", () => {
    expect(checkDrivers(nodes, "docker", ["dc1"])).toEqual({
      driver: "docker",
      ready: ["node4"],
      lacking: [
        { node: "node5", reason: "docker not detected" },
        { node: "node6", reason: "docker unhealthy: Docker is unresponsive" },
      ],
      ok: true,
      message:
        "only node4 can run docker tasks; node5 (docker not detected), node6 (docker unhealthy: Docker is unresponsive) cannot",
      hint: "np does not install Docker yet: install Docker Engine on those clients (e.g. `apt-get install docker.io`); Nomad notices it within a minute",
    });
  });

  it("refuses when no ready, eligible client has it (draining and down nodes do not count)", () => {
    const check = checkDrivers(nodes.slice(1), "docker");
    expect(check.ok).toBe(false);
    expect(check.ready).toEqual([]);
    expect(check.message).toBe(
      "no client can run docker tasks: node5 (docker not detected), node6 (docker unhealthy: Docker is unresponsive)",
    );
    expect(check.hint).toMatch(/^np does not install Docker yet/);
  });

  it("passes exec where every client has it; raw_exec needs enabling, which np does not do", () => {
    expect(checkDrivers(nodes, "exec")).toEqual({
      driver: "exec",
      ready: ["node4", "node5", "node6"],
      lacking: [],
      ok: true,
    });
    const raw = checkDrivers(nodes, "raw_exec");
    expect(raw.ok).toBe(false);
    expect(raw.lacking.map((l) => l.reason)).toEqual([
      "raw_exec not detected",
      "raw_exec not detected",
      "raw_exec not detected",
    ]);
    expect(raw.hint).toContain('plugin "raw_exec" { config { enabled = true } }');
  });

  it("falls back to the driver.<name> attribute, as Nomad's scheduler does, and filters by datacenter", () => {
    const legacy = [{ ...nodes[0], Drivers: {}, Attributes: { "driver.exec": "1" } }];
    expect(checkDrivers(legacy, "exec").ready).toEqual(["node4"]);
    expect(checkDrivers(legacy, "docker").lacking).toEqual([
      { node: "node4", reason: "docker not detected" },
    ]);
    expect(checkDrivers(nodes, "exec", ["eu1"])).toEqual({
      driver: "exec",
      ready: [],
      lacking: [],
      ok: false,
      message: "no client node is ready and eligible in datacenter eu1",
    });
  });

  it("reads Nomad's doc sample of the node list", () => {
    const sample = JSON.parse(
      readFileSync(path.join(fixtures, "nomad-api/nodes__list-nodes__sample-response.json"), "utf8"),
    );
    expect(checkDrivers(sample, "docker")).toMatchObject({ ok: true, ready: ["nomad-4"], lacking: [] });
  });
});

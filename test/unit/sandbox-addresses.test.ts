import { describe, expect, it } from "vitest";
import {
  conflictingRoutes,
  gatewayAddress,
  nodeAddress,
  overlaps,
  parseCidr,
  parseSubnet,
} from "../../src/sandbox/addresses.js";

describe("sandbox addresses", () => {
  it("puts the gateway on .1 and nodes on .11, .12, …", () => {
    const subnet = parseSubnet("10.213.7.0/24", 5);
    expect(subnet.cidr).toBe("10.213.7.0/24");
    expect(gatewayAddress(subnet)).toBe("10.213.7.1");
    expect([1, 2, 5].map((i) => nodeAddress(subnet, i))).toEqual([
      "10.213.7.11",
      "10.213.7.12",
      "10.213.7.15",
    ]);
  });

  it("accepts other private ranges and prefix lengths with room for the nodes", () => {
    expect(nodeAddress(parseSubnet("192.168.50.0/24", 3), 3)).toBe("192.168.50.13");
    expect(nodeAddress(parseSubnet("172.20.0.0/16", 20), 20)).toBe("172.20.0.30");
    expect(parseSubnet("10.1.2.0/27", 20).prefix).toBe(27);
  });

  it("refuses malformed, public, host-bit and too-small subnets with exit 2 and a hint", () => {
    const refused = (text: string, nodes = 5) => {
      try {
        parseSubnet(text, nodes);
      } catch (err) {
        return err as { exitCode: number; message: string; hint?: string };
      }
      throw new Error(`${text} was accepted`);
    };
    expect(refused("10.213.7.0").message).toContain("CIDR");
    expect(refused("10.213.7.0/33").exitCode).toBe(2);
    expect(refused("banana/24").exitCode).toBe(2);
    expect(refused("8.8.8.0/24").message).toContain("private range");
    expect(refused("10.0.0.0/7").message).toContain("private range");
    expect(refused("10.213.7.5/24").hint).toContain("10.213.7.0/24");
    expect(refused("10.213.7.0/28", 5).message).toContain("too small");
    expect(refused("10.213.7.0/27", 21).message).toContain("too small");
  });

  it("detects overlapping networks", () => {
    const net = (t: string) => parseCidr(t) as { network: number; prefix: number };
    expect(overlaps(net("10.213.7.0/24"), net("10.0.0.0/8"))).toBe(true);
    expect(overlaps(net("10.213.7.0/24"), net("10.213.7.200"))).toBe(true);
    expect(overlaps(net("10.213.7.0/24"), net("10.213.8.0/24"))).toBe(false);
    expect(overlaps(net("10.213.7.0/24"), net("10.213.6.0/24"))).toBe(false);
  });

  it("finds host routes that overlap, ignoring the default route and the sandbox's own bridge", () => {
    const subnet = parseSubnet("10.213.7.0/24", 5);
    const routes = [
      { dst: "default", dev: "eth0" },
      { dst: "192.0.2.0/24", dev: "eth0" },
      { dst: "10.213.7.0/24", dev: "np-np" },
      { dst: "10.213.0.0/16", dev: "wg0" },
      { dst: "10.213.7.9", dev: "tun0" },
      { dst: "10.213.8.0/24", dev: "np-other" },
    ];
    expect(conflictingRoutes(subnet, routes, "np-np")).toEqual([
      { dst: "10.213.0.0/16", dev: "wg0" },
      { dst: "10.213.7.9", dev: "tun0" },
    ]);
    expect(conflictingRoutes(subnet, routes, "np-other")).toContainEqual({
      dst: "10.213.7.0/24",
      dev: "np-np",
    });
  });
});

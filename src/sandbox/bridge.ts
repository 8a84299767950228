import { InputError } from "../errors.js";
import { conflictingRoutes, type HostRoute, type Subnet } from "./addresses.js";
import { run } from "./exec.js";

interface IpAddrInfo {
  ifname: string;
  operstate?: string;
  flags?: string[];
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** The host's routes (`ip -j route`). */
export async function hostRoutes(ip: string): Promise<HostRoute[]> {
  return JSON.parse(await run(ip, ["-j", "route", "show"])) as HostRoute[];
}

/** Refuses (exit 2) a subnet that overlaps a host route that is not this sandbox's own bridge. */
export async function checkSubnetIsFree(ip: string, subnet: Subnet, bridge: string): Promise<void> {
  const conflicts = conflictingRoutes(subnet, await hostRoutes(ip), bridge);
  if (conflicts.length > 0)
    throw new InputError(
      `subnet ${subnet.cidr} overlaps routes on this host`,
      conflicts.map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ""}`),
      "choose another private range with --subnet, e.g. --subnet 10.213.8.0/24",
    );
}

async function bridgeInfo(ip: string, bridge: string): Promise<IpAddrInfo | undefined> {
  const out = await run(ip, ["-j", "addr", "show", "dev", bridge]).catch(() => undefined);
  if (out === undefined) return undefined;
  return (JSON.parse(out) as IpAddrInfo[])[0];
}

/** Creates the bridge with the gateway address and brings it up; an existing bridge is only completed. */
export async function ensureBridge(
  ip: string,
  bridge: string,
  gateway: string,
  subnet: Subnet,
): Promise<void> {
  let info = await bridgeInfo(ip, bridge);
  if (info === undefined) {
    await run(ip, ["link", "add", bridge, "type", "bridge"]);
    info = await bridgeInfo(ip, bridge);
  }
  const hasGateway = info?.addr_info?.some((a) => a.family === "inet" && a.local === gateway);
  if (!hasGateway) await run(ip, ["addr", "add", `${gateway}/${subnet.prefix}`, "dev", bridge]);
  if (!info?.flags?.includes("UP")) await run(ip, ["link", "set", bridge, "up"]);
}

/** Deletes the bridge; returns false when there was none. */
export async function deleteBridge(ip: string, bridge: string): Promise<boolean> {
  if ((await bridgeInfo(ip, bridge)) === undefined) return false;
  await run(ip, ["link", "del", bridge]);
  return true;
}

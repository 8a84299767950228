import { portsOf } from "../components/index.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { HostUnderCheck } from "./judge.js";

/** What preflight judges a host against: its roles' minimums (or the inventory's override) and its ports. */
export function underCheck(inv: Pick<Inventory, "preflightOverrides">, host: HostSpec): HostUnderCheck {
  return {
    name: host.name,
    address: host.address,
    roles: host.roles,
    override: inv.preflightOverrides[host.name],
    ports: portsOf(host),
  };
}

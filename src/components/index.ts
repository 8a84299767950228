import type { HostSpec, Inventory } from "../inventory/index.js";
import type { DesiredDir, DesiredFile, SystemUser } from "../render/types.js";
import type { SecretSpec, SecretValues } from "../secrets/index.js";
import { consul } from "./consul/index.js";
import { nomad } from "./nomad/index.js";
import { npAgent } from "./np-agent/index.js";
import { openobserve } from "./openobserve/index.js";
import { traefik } from "./traefik/index.js";
import type { BinarySpec, Component, PortSpec, SecurityStages } from "./types.js";

/**
 * Every component np installs, in start order (Consul first: the others register with it). Adding a component
 * is a folder under src/components/ and one line here.
 */
export const COMPONENTS: readonly Component[] = [
  consul,
  nomad,
  traefik,
  openobserve,
  // Last: it reports the others' units (and needs OpenObserve to ship to).
  npAgent((host) => componentsOf(host).map((c) => c.unit)),
];

export type {
  BinarySpec,
  Component,
  ComponentName,
  PortSpec,
  RestartPolicy,
  SecurityStages,
} from "./types.js";

/** The np-agent component (the ingest-credential phase re-renders its config). */
export function npAgentComponent(): Component {
  const c = COMPONENTS.find((x) => x.name === "np-agent");
  if (!c) throw new Error("np-agent is not in the component list");
  return c;
}

/** The components a host runs, in start order. */
export const componentsOf = (host: HostSpec): Component[] => COMPONENTS.filter((c) => c.runsOn(host));

/** The secrets the inventory's components need. */
export function secretsFor(inv: Inventory): SecretSpec[] {
  const used = COMPONENTS.filter((c) => inv.hosts.some((h) => c.runsOn(h)));
  return used.flatMap((c) => c.secrets);
}

/** What np keeps on one host: users, directories, binaries, files, and the units it runs. */
export interface DesiredHost {
  components: Component[];
  users: SystemUser[];
  dirs: DesiredDir[];
  binaries: (BinarySpec & { component: Component })[];
  files: DesiredFile[];
}

/**
 * The desired state of one host. It depends only on the arguments (no timestamps, fixed order), so np can compare
 * checksums to find what changed.
 */
export function desiredHost(
  inv: Inventory,
  host: HostSpec,
  secrets: SecretValues,
  stages?: SecurityStages,
): DesiredHost {
  const components = componentsOf(host);
  const input = { inv, host, secrets, ...(stages && { stages }) };
  return {
    components,
    users: components.flatMap((c) => (c.user ? [c.user] : [])),
    dirs: components.flatMap((c) => c.dirs(input)),
    binaries: components.flatMap((c) => c.binaries(inv).map((b) => ({ ...b, component: c }))),
    files: components.flatMap((c) => c.files(input)),
  };
}

/** The ports a host's components listen on (preflight refuses a host where something else holds one). */
export function portsOf(host: HostSpec): PortSpec[] {
  const seen = new Map<string, PortSpec>();
  for (const c of componentsOf(host)) for (const p of c.ports(host)) seen.set(`${p.proto}/${p.port}`, p);
  // A plain comparison: localeCompare's first call loads ICU's collation data (~10 ms of every run's CPU).
  return [...seen.values()].sort(
    (a, b) => a.port - b.port || (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : 0),
  );
}

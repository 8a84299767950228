import path from "node:path";
import {
  type BuiltMirror,
  buildMirror,
  type MirrorOptions,
  NOMAD_DOUBLE,
  OPENOBSERVE_DOUBLE,
  REAL_CONSUL,
  TRAEFIK_DOUBLE,
  writeDoubleBundle,
} from "../tools/build-mirror.ts";

/** The versions the stack mirror holds (an inventory's `versions:` for it). */
export const STACK_VERSIONS = { consul: "1.8.7", nomad: "1.10.5", traefik: "3.7.9", openobserve: "0.14.7" };

/**
 * A mirror with everything `np up` installs on an inventory with every role: the real Consul 1.8.7, the Nomad,
 * Traefik and OpenObserve doubles (each bundled into one executable), signed with a fresh TEST key. Inventories
 * must have an edge and an observe host, so every e2e cluster needs all of them.
 */
export async function buildStackMirror(
  dir: string,
  extra: Partial<MirrorOptions> = {},
): Promise<BuiltMirror> {
  const bundles = path.join(dir, "..", `${path.basename(dir)}-bundles`);
  const bundle = (entry: string, version: string, name: string) =>
    writeDoubleBundle(entry, path.join(bundles, name), {
      version,
      ...(extra.doubleShebang && { shebang: extra.doubleShebang }),
    });
  return buildMirror(dir, {
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

import type { PathSegment } from "../yaml-config/problem.js";
import { APP_DEFAULTS } from "./defaults.js";
import { parseDuration } from "./duration.js";
import type { RawApp } from "./schema.js";
import { Secret } from "./secret.js";
import type { AppDriver, AppSpec } from "./types.js";

/** Nanoseconds of a duration the schema already accepted (or of its default). */
function ns(text: string | undefined, fallback: string): number {
  return parseDuration(text ?? fallback) ?? 0;
}

/**
 * Turns a schema-valid np.yaml (that passed the rules) into the normalized AppSpec: defaults applied,
 * durations in nanoseconds. `where` gives the `FILE:LINE:COL` of a key, kept for deploy-time problems.
 */
export function normalizeApp(raw: RawApp, file: string, where: (path: PathSegment[]) => string): AppSpec {
  const d = APP_DEFAULTS;
  const driver: AppDriver = raw.image !== undefined ? "docker" : (raw.driver ?? d.driverForCommand);
  const update = raw.update ?? {};
  const check = raw.health_check ?? {};
  return {
    file,
    name: raw.name,
    driver,
    ...(raw.image !== undefined && { image: raw.image }),
    ...(raw.command !== undefined && { command: raw.command }),
    args: [...(raw.args ?? [])],
    ...(raw.artifact && {
      artifact: {
        url: raw.artifact.url,
        checksum: raw.artifact.checksum,
        destination: raw.artifact.destination ?? d.artifactDestination,
      },
    }),
    ...(raw.port !== undefined && { port: raw.port }),
    count: raw.count ?? d.count,
    cpu: raw.cpu ?? d.cpu,
    memoryMb: raw.memory ?? d.memory,
    env: Object.fromEntries(
      Object.entries(raw.env ?? {}).map(([key, value]) => [
        key,
        { template: new Secret(value), location: where(["env", key]) },
      ]),
    ),
    healthCheck: {
      path: check.path ?? d.healthCheck.path,
      intervalNs: ns(check.interval, d.healthCheck.interval),
      timeoutNs: ns(check.timeout, d.healthCheck.timeout),
    },
    domains: [...(raw.domains ?? [])],
    update: {
      maxParallel: update.max_parallel ?? d.update.maxParallel,
      canary: update.canary ?? d.update.canary,
      autoPromote: update.auto_promote ?? d.update.autoPromote,
      autoRevert: update.auto_revert ?? d.update.autoRevert,
      minHealthyTimeNs: ns(update.min_healthy_time, d.update.minHealthyTime),
      healthyDeadlineNs: ns(update.healthy_deadline, d.update.healthyDeadline),
      progressDeadlineNs: ns(update.progress_deadline, d.update.progressDeadline),
    },
    placement: {
      ...(raw.placement?.node_class !== undefined && { nodeClass: raw.placement.node_class }),
      labels: { ...raw.placement?.labels },
    },
    shutdownDelayNs: ns(raw.shutdown_delay, d.shutdownDelay),
  };
}

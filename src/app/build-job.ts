// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${node.class} and ${meta.k} are Nomad's constraint attributes
import { PORT_LABEL } from "./defaults.js";
import type { JobTarget } from "./job-target.js";
import type {
  JobPlanRequest,
  JobRegisterRequest,
  NomadConstraint,
  NomadJob,
  NomadTask,
  NomadTaskGroup,
} from "./job-types.js";
import { appSpecHash } from "./spec-hash.js";
import { serviceTags } from "./traefik-tags.js";
import type { AppSpec, SecretEnv } from "./types.js";

/** Keys of the job's Meta np writes. */
export const JOB_META = { npVersion: "np_version", specHash: "np_spec_sha256" } as const;

/**
 * The Nomad job of an app: one service job, one group (named after the app) with a dynamic port `http`, one
 * task, a Consul service with Traefik's tags and an HTTP check on the health path. `env` is the app's
 * environment resolved for this deploy (resolveAppEnv); it stays secret inside the job.
 */
export function buildJob(app: AppSpec, target: JobTarget, env: SecretEnv): NomadJob {
  return {
    ID: app.name,
    Name: app.name,
    Type: "service",
    Region: target.region,
    Namespace: "default",
    Datacenters: [...target.datacenters],
    Meta: { [JOB_META.npVersion]: target.npVersion, [JOB_META.specHash]: appSpecHash(app) },
    TaskGroups: [taskGroup(app, target, env)],
  };
}

/** The body of `POST /v1/jobs`: registered only if the job is still at `jobModifyIndex` (0: does not exist). */
export function registerRequest(job: NomadJob, jobModifyIndex: number): JobRegisterRequest {
  return { Job: job, EnforceIndex: true, JobModifyIndex: jobModifyIndex };
}

/** The body of `POST /v1/job/:id/plan`, asking for the diff against the running version. */
export function planRequest(job: NomadJob): JobPlanRequest {
  return { Job: job, Diff: true };
}

function taskGroup(app: AppSpec, target: JobTarget, env: SecretEnv): NomadTaskGroup {
  const constraints = placementConstraints(app);
  const u = app.update;
  return {
    Name: app.name,
    Count: app.count,
    ...(constraints.length > 0 && { Constraints: constraints }),
    Update: {
      MaxParallel: u.maxParallel,
      HealthCheck: "checks",
      MinHealthyTime: u.minHealthyTimeNs,
      HealthyDeadline: u.healthyDeadlineNs,
      ProgressDeadline: u.progressDeadlineNs,
      AutoRevert: u.autoRevert,
      AutoPromote: u.autoPromote,
      Canary: u.canary,
    },
    Networks: [
      {
        Mode: "host",
        DynamicPorts: [
          app.driver === "docker" && app.port !== undefined
            ? { Label: PORT_LABEL, Value: 0, To: app.port }
            : { Label: PORT_LABEL, Value: 0 },
        ],
      },
    ],
    Services: [
      {
        Name: app.name,
        Provider: "consul",
        PortLabel: PORT_LABEL,
        Tags: serviceTags(app.name, app.domains, target.acme),
        Checks: [
          {
            Name: `${app.name}-http`,
            Type: "http",
            Path: app.healthCheck.path,
            PortLabel: PORT_LABEL,
            Interval: app.healthCheck.intervalNs,
            Timeout: app.healthCheck.timeoutNs,
          },
        ],
      },
    ],
    ShutdownDelay: app.shutdownDelayNs,
    Tasks: [task(app, env)],
  };
}

function task(app: AppSpec, env: SecretEnv): NomadTask {
  return {
    Name: app.name,
    Driver: app.driver,
    Config:
      app.driver === "docker"
        ? { image: app.image ?? "", ports: [PORT_LABEL] }
        : { command: app.command ?? "", args: [...app.args] },
    Env: { ...env },
    Resources: { CPU: app.cpu, MemoryMB: app.memoryMb },
    ...(app.artifact && {
      Artifacts: [
        {
          GetterSource: app.artifact.url,
          GetterOptions: { checksum: app.artifact.checksum },
          RelativeDest: app.artifact.destination,
        },
      ],
    }),
  };
}

/**
 * placement → constraints. `node_class` is the client's `${node.class}`; a label is the client's Nomad meta
 * `${meta.<key>}` (the inventory's hosts[].meta, rendered into the client's `meta` block).
 */
export function placementConstraints(app: AppSpec): NomadConstraint[] {
  const out: NomadConstraint[] = [];
  if (app.placement.nodeClass !== undefined)
    out.push({ LTarget: "${node.class}", RTarget: app.placement.nodeClass, Operand: "=" });
  for (const key of Object.keys(app.placement.labels).toSorted())
    out.push({ LTarget: `\${meta.${key}}`, RTarget: app.placement.labels[key] ?? "", Operand: "=" });
  return out;
}

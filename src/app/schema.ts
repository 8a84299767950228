// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is np.yaml's variable syntax, not a template
import { z } from "zod";
import * as inv from "../inventory/patterns.js";
import { httpUrl, matching, port } from "../yaml-config/fields.js";
import { show } from "../yaml-config/show.js";
import { APP_DEFAULTS, RESERVED_APP_NAMES } from "./defaults.js";
import { DURATION, DURATION_RULE, parseDuration } from "./duration.js";
import * as p from "./patterns.js";

/**
 * The np.yaml file's shape (snake_case, as written). Defaults are applied by normalize (from defaults.ts);
 * `default` in the metadata documents them in the generated JSON Schema. Rules involving several keys
 * (image or command, port with image, deadlines in order) live in rules.ts.
 */

/** A duration string between `min` and `max` (written as np.yaml writes them). */
function duration(min: string, max: string) {
  const lo = parseDuration(min) ?? 0;
  const hi = parseDuration(max) ?? Number.POSITIVE_INFINITY;
  return z
    .string()
    .regex(DURATION, { error: (iss) => `${show(iss.input)}: ${DURATION_RULE}` })
    .superRefine((text, ctx) => {
      const ns = parseDuration(text) ?? lo;
      if (ns < lo) ctx.addIssue({ code: "custom", message: `${show(text)} is too short: at least ${min}` });
      else if (ns > hi)
        ctx.addIssue({ code: "custom", message: `${show(text)} is too long: at most ${max}` });
    });
}

const wholeNumber = (min: number, max: number) => z.number().int().min(min).max(max);

const appName = matching(inv.DNS_LABEL, "app name", inv.DNS_LABEL_RULE).refine(
  (name) => !RESERVED_APP_NAMES.includes(name),
  { error: (iss) => `${show(iss.input)} is the name of one of np's own services: choose another name` },
);

const healthCheckSchema = z.strictObject({
  path: matching(p.HTTP_PATH, "path", p.HTTP_PATH_RULE).optional().meta({
    description: "Path that answers 2xx when the app is healthy.",
    default: APP_DEFAULTS.healthCheck.path,
  }),
  interval: duration("1s", "1h")
    .optional()
    .meta({ description: "How often Consul checks it.", default: APP_DEFAULTS.healthCheck.interval }),
  timeout: duration("1s", "5m")
    .optional()
    .meta({ description: "How long one check may take.", default: APP_DEFAULTS.healthCheck.timeout }),
});

const u = APP_DEFAULTS.update;
const updateSchema = z.strictObject({
  max_parallel: wholeNumber(1, 1000)
    .optional()
    .meta({ description: "Instances replaced at a time.", default: u.maxParallel }),
  canary: wholeNumber(0, 1000).optional().meta({
    description: "New instances started beside the old ones before any is replaced (0: rolling update).",
    default: u.canary,
  }),
  auto_promote: z.boolean().optional().meta({
    description: "Promote the canaries once they are all healthy (needs canary > 0).",
    default: u.autoPromote,
  }),
  auto_revert: z.boolean().optional().meta({
    description: "Return to the last stable version when the deployment fails.",
    default: u.autoRevert,
  }),
  min_healthy_time: duration("0s", "1h").optional().meta({
    description: "How long an instance must stay healthy to count as healthy.",
    default: u.minHealthyTime,
  }),
  healthy_deadline: duration("1s", "24h").optional().meta({
    description: "How long an instance may take to become healthy before it counts as failed.",
    default: u.healthyDeadline,
  }),
  progress_deadline: duration("1s", "24h").optional().meta({
    description: "How long the deployment may go without an instance becoming healthy before it fails.",
    default: u.progressDeadline,
  }),
});

/** The np.yaml file, as written by the user. */
export const appSchema = z
  .strictObject({
    name: appName.meta({
      description: "The app's name: a lowercase DNS label; its Nomad job, Consul service and Traefik router.",
    }),
    image: matching(p.IMAGE, "image", p.IMAGE_RULE)
      .optional()
      .meta({ description: "Container image, run by Nomad's docker driver. Set image or command." }),
    command: matching(p.COMMAND, "command", p.COMMAND_RULE).optional().meta({
      description:
        "Program to run with Nomad's exec driver (raw_exec with driver: raw_exec); it listens on $NOMAD_PORT_http. Set image or command.",
    }),
    args: z.array(z.string()).optional().meta({
      description:
        "Arguments of command; ${NOMAD_PORT_http} and Nomad's other variables are filled in by Nomad.",
    }),
    driver: z.enum(["docker", "exec", "raw_exec"]).optional().meta({
      description:
        "Nomad task driver: docker for an image; exec (default) or raw_exec (no isolation; only when asked for) for a command.",
    }),
    artifact: z
      .strictObject({
        url: httpUrl.meta({ description: "http(s) URL of the file; archives (.tar.gz, .zip) are unpacked." }),
        checksum: matching(p.SHA256_CHECKSUM, "checksum", p.SHA256_CHECKSUM_RULE).meta({
          description: "sha256:<hex> of the file; Nomad refuses a download that does not match.",
        }),
        destination: matching(p.RELATIVE_DEST, "destination", p.RELATIVE_DEST_RULE).optional().meta({
          description: "Folder inside the task's folder to put it in.",
          default: APP_DEFAULTS.artifactDestination,
        }),
      })
      .optional()
      .meta({
        description: "A file Nomad downloads into the task's folder before starting it (Nomad artifact).",
      }),
    port: port.optional().meta({
      description: "Port the app listens on inside its container (image only; required with image).",
    }),
    count: wholeNumber(1, 10000)
      .optional()
      .meta({ description: "Instances to run.", default: APP_DEFAULTS.count }),
    cpu: wholeNumber(10, 1_000_000)
      .optional()
      .meta({ description: "CPU reserved per instance, in MHz.", default: APP_DEFAULTS.cpu }),
    memory: wholeNumber(10, 1_000_000)
      .optional()
      .meta({ description: "Memory reserved per instance, in MB.", default: APP_DEFAULTS.memory }),
    env: z
      .record(matching(inv.ENV_NAME, "environment variable name", inv.ENV_NAME_RULE), z.string())
      .optional()
      .meta({
        description:
          "Environment of the app. Values may use ${VAR} from the deployer's environment at deploy time; they are secret and never printed.",
      }),
    health_check: healthCheckSchema
      .optional()
      .meta({ description: "HTTP check Consul runs on every instance; Nomad's deployments wait for it." }),
    domains: z
      .array(matching(p.DOMAIN, "domain", p.DOMAIN_RULE))
      .optional()
      .meta({
        description:
          "Host names Traefik routes to the app on the edge nodes (TLS when the inventory sets traefik.acme_email).",
      }),
    update: updateSchema.optional().meta({ description: "How a new version replaces the running one." }),
    placement: z
      .strictObject({
        node_class: matching(inv.NODE_CLASS, "node class", inv.NODE_CLASS_RULE)
          .optional()
          .meta({ description: "Run only on clients with this node_class (inventory hosts[].node_class)." }),
        labels: z
          .record(
            matching(inv.LABEL_KEY, "key", inv.LABEL_KEY_RULE),
            matching(inv.LABEL_VALUE, "value", inv.LABEL_VALUE_RULE),
          )
          .optional()
          .meta({
            description:
              "Run only on clients whose Nomad client meta has these values (inventory hosts[].meta).",
          }),
      })
      .optional()
      .meta({ description: "Which clients may run the app." }),
    shutdown_delay: duration("0s", "10m").optional().meta({
      description:
        "Time between an instance leaving Consul (and Traefik) and being stopped: zero-downtime redeploys.",
      default: APP_DEFAULTS.shutdownDelay,
    }),
  })
  .meta({ title: "np app (np.yaml)", description: "An app np deploys onto its cluster as a Nomad job." });

/** An np.yaml as parsed by the schema, before defaults and cross-field rules. */
export type RawApp = z.output<typeof appSchema>;

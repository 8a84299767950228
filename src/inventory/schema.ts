import { z } from "zod";
import { httpUrl, matching, port } from "../yaml-config/fields.js";
import { ARTIFACTS_DEFAULT_SOURCE, CLUSTER_DEFAULTS, DEFAULT_VERSIONS, SSH_DEFAULTS } from "./defaults.js";
import * as p from "./patterns.js";
import { email, hostAddress, ipAddress, localPath, seconds } from "./schema-fields.js";
import { ROLES } from "./types.js";

/**
 * The inventory file's shape (snake_case, as written). Defaults are not applied here (normalize does that,
 * from defaults.ts) so a host's `ssh` can tell "not set, inherit" from "set"; `default` in the metadata only
 * documents them in the generated JSON Schema. Rules involving several keys live in rules*.ts.
 */

const hostName = matching(p.DNS_LABEL, "host name", p.DNS_LABEL_RULE);
const labelMap = z.record(
  matching(p.LABEL_KEY, "key", p.LABEL_KEY_RULE),
  matching(p.LABEL_VALUE, "value", p.LABEL_VALUE_RULE),
);

const bastionSchema = z
  .strictObject({
    host: hostAddress.meta({ description: "Address of the jump host: IP address or host name." }),
    user: matching(p.SSH_USER, "user name", p.SSH_USER_RULE)
      .optional()
      .meta({ description: "Login on the jump host. Default: the `user` of the same ssh section." }),
    port: port
      .optional()
      .meta({ description: "SSH port of the jump host.", default: SSH_DEFAULTS.bastionPort }),
    key: localPath
      .optional()
      .meta({ description: "Private key for the jump host. Default: the `key` of the same ssh section." }),
  })
  .meta({
    description: "Jump host np connects through; the hosts' addresses are resolved by the jump host.",
  });

/** The ssh section; `inherited` for a host's override, whose unset keys come from the global section. */
function sshSchema(inherited: boolean) {
  const dflt = (value: string | number, what: string) =>
    inherited
      ? { description: `${what} Default: the global ssh setting.` }
      : { description: what, default: value };
  return z.strictObject({
    user: matching(p.SSH_USER, "user name", p.SSH_USER_RULE)
      .optional()
      .meta(dflt(SSH_DEFAULTS.user, "Login user; np uses sudo when it is not root.")),
    port: port.optional().meta(dflt(SSH_DEFAULTS.port, "SSH port.")),
    key: localPath.optional().meta({
      description: inherited
        ? "Private key file for this host, relative to the inventory's folder (~ expanded)."
        : "Private key file, relative to the inventory's folder (~ expanded). Not set: keys from ssh-agent ($SSH_AUTH_SOCK).",
    }),
    passphrase_env: matching(p.ENV_NAME, "environment variable name", p.ENV_NAME_RULE).optional().meta({
      description: "Name of the environment variable holding the key's passphrase (never the passphrase).",
    }),
    connect_timeout: seconds
      .optional()
      .meta(dflt(SSH_DEFAULTS.connectTimeoutSec, "Seconds to wait for an SSH connection.")),
    bastion: bastionSchema.optional(),
  });
}

const hostSchema = z.strictObject({
  name: hostName.meta({
    description: "Unique host name: a lowercase DNS label; also the Nomad and Consul node name.",
  }),
  address: hostAddress.meta({
    description: "How np reaches the host over SSH: IP address or resolvable host name.",
  }),
  private_address: ipAddress.optional().meta({
    description:
      "IP address the cluster binds to and advertises. Default: address (required when address is a host name).",
  }),
  roles: z
    .array(z.enum(ROLES))
    .min(1, { error: "must list at least one role (server, client, edge, observe)" })
    .meta({ description: "What the host runs: server, client, edge (Traefik), observe (OpenObserve)." }),
  node_class: matching(p.NODE_CLASS, "node class", p.NODE_CLASS_RULE)
    .optional()
    .meta({ description: "Nomad node_class of the host's client." }),
  labels: labelMap
    .optional()
    .meta({ description: "Free-form labels of the host (letters, digits, _ . - : /)." }),
  meta: labelMap
    .optional()
    .meta({ description: "Nomad client meta of the host (same characters as labels)." }),
  ssh: sshSchema(true)
    .optional()
    .meta({ description: "Overrides of the global ssh settings for this host, key by key." }),
});

const overrideSchema = z
  .strictObject({
    memory_mb: z.number().positive().optional().meta({ description: "Minimum memory in MB for this host." }),
    cpu: z.number().positive().optional().meta({ description: "Minimum CPU cores for this host." }),
  })
  .refine((o) => o.memory_mb !== undefined || o.cpu !== undefined, { error: "set memory_mb, cpu or both" });

const versionField = (name: keyof typeof DEFAULT_VERSIONS, description = `${name} version to install.`) =>
  matching(p.VERSION, "version", p.VERSION_RULE)
    .optional()
    .meta({ description, default: DEFAULT_VERSIONS[name] });

/** The inventory file, as written by the user. */
export const inventorySchema = z
  .strictObject({
    cluster: z.strictObject({
      name: matching(p.DNS_LABEL, "cluster name", p.DNS_LABEL_RULE).meta({
        description: "Name of the cluster: a lowercase DNS label.",
      }),
      datacenter: matching(p.DATACENTER, "datacenter", p.DATACENTER_RULE)
        .optional()
        .meta({ description: "Consul and Nomad datacenter.", default: CLUSTER_DEFAULTS.datacenter }),
      region: matching(p.DATACENTER, "region", p.DATACENTER_RULE)
        .optional()
        .meta({ description: "Nomad region.", default: CLUSTER_DEFAULTS.region }),
      single_server: z.boolean().optional().meta({
        description: "Allow exactly one server (development only: no failure tolerance).",
        default: CLUSTER_DEFAULTS.singleServer,
      }),
    }),
    ssh: sshSchema(false)
      .optional()
      .meta({ description: "SSH settings for all hosts; each host may override them." }),
    hosts: z.array(hostSchema).min(1, { error: "must list at least one host" }),
    versions: z
      .strictObject({
        nomad: versionField("nomad"),
        consul: versionField("consul"),
        traefik: versionField("traefik"),
        openobserve: versionField("openobserve"),
        node: versionField("node", "Node.js version to install (the runtime of np-agent)."),
      })
      .optional()
      .meta({ description: "Versions to install; np's tested defaults when not set." }),
    artifacts: z
      .strictObject({
        source: z
          .enum(["releases", "mirror", "dir"])
          .optional()
          .meta({ description: "Where binaries come from.", default: ARTIFACTS_DEFAULT_SOURCE }),
        url: httpUrl
          .optional()
          .meta({ description: "Base URL of a mirror (required when source is mirror)." }),
        dir: localPath
          .optional()
          .meta({ description: "Folder of downloaded binaries (required when source is dir)." }),
        trusted_keys: z
          .array(localPath)
          .optional()
          .meta({ description: "Extra PGP public key files trusted for SHA256SUMS signatures." }),
      })
      .optional(),
    traefik: z
      .strictObject({
        acme_email: email.optional().meta({ description: "Email for Let's Encrypt (ACME) certificates." }),
        dashboard_host: matching(p.DNS_NAME, "host name", "use a DNS name such as traefik.example.com")
          .optional()
          .meta({ description: "Host name that serves the Traefik dashboard." }),
      })
      .optional(),
    openobserve: z
      .strictObject({
        root_email: email.optional().meta({ description: "Email of OpenObserve's root user." }),
      })
      .optional(),
    preflight: z
      .strictObject({
        overrides: z.record(z.string(), overrideSchema).optional().meta({
          description: "Per-host minimums used instead of the role minimums (printed as warnings).",
        }),
      })
      .optional(),
  })
  .meta({ title: "np inventory", description: "The hosts of an np cluster and how to reach them." });

/** An inventory as parsed by the schema, before defaults and cross-field rules. */
export type RawInventory = z.output<typeof inventorySchema>;
export type RawHost = RawInventory["hosts"][number];
export type RawSsh = NonNullable<RawHost["ssh"]>;
export type RawBastion = NonNullable<RawSsh["bastion"]>;

import type { Product } from "../artifacts/types.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { DesiredDir, DesiredFile, SystemUser } from "../render/types.js";
import type { SecretSpec, SecretValues } from "../secrets/index.js";
import type { ConsulStage } from "./consul/migrate-stages.js";
import type { NomadStage } from "./nomad/migrate-stages.js";

/** The programs np runs on the hosts, each declared in its own folder under src/components/. */
export type ComponentName = "consul" | "nomad" | "traefik" | "openobserve" | "np-agent";

/**
 * How far a host has come in the migration of a cluster made by an earlier np to TLS and ACLs, per component that
 * migrates (Consul's stages: consul/migrate-stages.ts; Nomad's: nomad/migrate-stages.ts). A component renders its
 * files for its stage; an absent stage is the final, secure one (a fresh cluster renders that directly).
 */
export interface SecurityStages {
  consul?: ConsulStage;
  nomad?: NomadStage;
}

/** What a component renders for one host from. */
export interface RenderInput {
  inv: Inventory;
  host: HostSpec;
  secrets: SecretValues;
  /** Absent: the final stage of every component. */
  stages?: SecurityStages;
}

/** A binary installed from a verified release artifact. */
export interface BinarySpec {
  path: string;
  product: Product;
  version: string;
}

/** A port the component listens on; preflight refuses a host where another program holds it. */
export interface PortSpec {
  port: number;
  proto: "tcp" | "udp";
}

/**
 * How running instances are restarted when their files change:
 * - `quorum`: one at a time, each restarted server gated on its own return into a healthy Raft quorum
 *   (Consul and Nomad servers), so the cluster never loses quorum;
 * - `rolling`: one host at a time, each gated on its readiness check (Traefik: ingress never goes dark);
 * - `parallel`: all hosts at once.
 * First starts are always parallel: there is nothing running to protect (and Raft needs every server to bootstrap).
 */
export type RestartPolicy = "quorum" | "rolling" | "parallel";

/** An HTTP endpoint that answers 200 once the component serves, reached from the host itself through SSH. */
export interface ReadyProbe {
  host: string;
  port: number;
  path: string;
}

/** Everything np needs to install, configure, start and check one component. */
export interface Component {
  readonly name: ComponentName;
  /** The systemd unit (without `.service`). */
  readonly unit: string;
  /** Whether the host runs it (from its roles). */
  runsOn(host: HostSpec): boolean;
  /** Secrets its files are rendered with (generated once into `.np/secrets/`). */
  readonly secrets: readonly SecretSpec[];
  /** The system account it runs as, created before its files; none when it runs as root. */
  readonly user?: SystemUser;
  binaries(inv: Inventory): BinarySpec[];
  dirs(input: RenderInput): DesiredDir[];
  /** Its configuration files and unit, with content, mode and owner. */
  files(input: RenderInput): DesiredFile[];
  ports(host: HostSpec): PortSpec[];
  restartPolicy(host: HostSpec): RestartPolicy;
  /** The Consul service it registers (with a health check): `np status` reads its health there. */
  readonly service?: string;
  /** The API its Raft quorum is read through, for components whose servers form one. */
  readonly raft?: "consul" | "nomad";
  /** How to tell it serves, after a start or restart (besides its unit being active). */
  ready?(host: HostSpec): ReadyProbe;
  /**
   * An ingress: the port of its plain HTTP entry point. After a restart, np waits (beyond `ready`) until it routes
   * again every app host name it routed before, so a rolling restart never sends visitors to an edge without routes.
   */
  readonly routesOn?: number;
}

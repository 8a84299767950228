import type { FetchedArtifact } from "../artifacts/types.js";
import type { BinarySpec, Component, DesiredHost, SecurityStages } from "../components/index.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { Output } from "../output/port.js";
import type { HostFacts } from "../preflight/parse-facts.js";
import type { SshConnection } from "../remote/connection.js";
import type { Session } from "../remote/session.js";
import type { SecretValues } from "../secrets/index.js";
import type { ApiTunnels } from "./apis.js";
import type { ChangeGate } from "./changes.js";
import type { EarlyReads } from "./early-reads.js";
import type { HostState } from "./host-state.js";

/** A binary np installs at a fixed path, from a verified artifact. */
export interface DesiredBinary extends BinarySpec {
  component: Component;
  artifact: FetchedArtifact;
}

/** Everything np knows and decides about one host during a run. */
export interface HostRun {
  spec: HostSpec;
  conn: SshConnection;
  facts: HostFacts;
  clockOffsetMs: number;
  state: HostState;
  /** Where the host is in a migration to TLS and ACLs (cluster/migrate/); absent: at the final stage. */
  stages?: SecurityStages;
  /** Rendered for `stages`. */
  desired: DesiredHost;
  /** Filled once the artifacts are verified. */
  binaries: DesiredBinary[];
  /** Units to restart because their files changed (now or in an interrupted earlier run). */
  restart: Set<string>;
  /** Units to reload (SIGHUP) because a file they read at reload changed. */
  reload: Set<string>;
  /** A unit file changed: systemd must re-read units before (re)starting. */
  daemonReload: boolean;
}

/** The state of one `np up` / `np plan` run, passed from phase to phase. */
export interface RunContext {
  inv: Inventory;
  out: Output;
  signal: AbortSignal;
  gate: ChangeGate;
  session: Session;
  /** Filled by the connect and gather phases; hosts in inventory order. */
  hosts: HostRun[];
  secrets?: SecretValues;
  artifacts: FetchedArtifact[];
  /** Artifacts verified early for an all-amd64 cluster, while the hosts were gathered. */
  prefetch?: { result: Promise<{ artifacts: FetchedArtifact[] } | { error: unknown }>; stop(): void };
  /** SSH tunnels to the cluster APIs, closed at the end of the run. */
  tunnels: ApiTunnels;
  /** Answers of the cluster APIs read while the hosts were gathered, for a run that changes nothing. */
  early: EarlyReads;
  /** Set once np's management token is Nomad's (bootstrapped now or before): Nomad's ACLs can be read. */
  nomadAclReady?: boolean;
  /** How long to wait for quorum after starting services. */
  quorumTimeoutMs: number;
}

/** A step of the provisioning flow (k0sctl's phase): one file each, run in order by an action. */
export interface Phase {
  title: string;
  /** Skip the phase when false (e.g. waiting for quorum in a dry run). */
  shouldRun?(ctx: RunContext): boolean;
  run(ctx: RunContext): Promise<void>;
}

/** The hosts with a role. */
export const withRole = (ctx: RunContext, role: HostSpec["roles"][number]) =>
  ctx.hosts.filter((h) => h.spec.roles.includes(role));

/** Whether the host runs the component. */
export const runs = (host: HostRun, component: Component) => host.desired.components.includes(component);

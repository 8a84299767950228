import type { FetchedArtifact } from "../artifacts/types.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { Output } from "../output/port.js";
import type { HostFacts } from "../preflight/parse-facts.js";
import type { SshConnection } from "../remote/connection.js";
import type { Session } from "../remote/session.js";
import type { ClusterSecrets, DesiredDir, DesiredFile } from "../render/index.js";
import type { ApiTunnels } from "./apis.js";
import type { ChangeGate } from "./changes.js";
import type { HostState } from "./host-state.js";

export type Service = "consul" | "nomad";

/** A binary np installs at a fixed path, from a verified artifact. */
export interface DesiredBinary {
  service: Service;
  path: string;
  artifact: FetchedArtifact;
}

/** Everything np knows and decides about one host during a run. */
export interface HostRun {
  spec: HostSpec;
  conn: SshConnection;
  facts: HostFacts;
  clockOffsetMs: number;
  state: HostState;
  files: DesiredFile[];
  dirs: DesiredDir[];
  binaries: DesiredBinary[];
  services: Service[];
  /** Services to restart because their files changed (now or in an interrupted earlier run). */
  restart: Set<Service>;
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
  secrets?: ClusterSecrets;
  artifacts: FetchedArtifact[];
  /** Artifacts verified early for an all-amd64 cluster, while the hosts were gathered. */
  prefetch?: { result: Promise<{ artifacts: FetchedArtifact[] } | { error: unknown }>; stop(): void };
  /** SSH tunnels to the cluster APIs, closed at the end of the run. */
  tunnels: ApiTunnels;
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

/** What a node is started with; a running node whose spec differs is restarted. */
export interface NodeSpec {
  name: string;
  /** systemd-nspawn machine name: unique across sandboxes (`<sandbox>-<node>`), so veth names never clash. */
  machine: string;
  address: string;
  small: boolean;
}

/** The machine name of a node: `<sandbox>-<node>`. */
export function machineName(sandbox: string, node: string): string {
  return `${sandbox}-${node}`;
}

/**
 * The systemd-nspawn argv that boots a node. `--register=no --keep-unit` are required because the host's PID 1 is
 * not always systemd (no machined, no scope units); the host name is the node name, not the machine name.
 */
export function nspawnArgv(root: string, bridge: string, spec: NodeSpec): string[] {
  return [
    "--quiet",
    "--directory",
    root,
    "--boot",
    "--register=no",
    "--keep-unit",
    `--network-bridge=${bridge}`,
    "--machine",
    spec.machine,
    `--hostname=${spec.name}`,
    "--link-journal=no",
    "--console=read-only",
    ...(spec.small ? ["--cpu-affinity=0"] : []),
  ];
}

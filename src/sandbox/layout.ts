import { InputError } from "../errors.js";
import { minimumFor, type RoleName } from "../preflight/minimums.js";

/** The node counts `np sandbox up --nodes` accepts. */
export const MIN_NODES = 3;
export const MAX_NODES = 20;
export const DEFAULT_NODES = 5;

/** CPUs every sandbox node reports: nodes share the host's CPUs, and the project's machines have 2. */
export const NODE_CPUS = 2;

/** One node of the role layout. */
export interface LayoutNode {
  name: string;
  roles: RoleName[];
}

/** Node names are node1..nodeN. */
export function nodeName(index: number): string {
  return `node${index}`;
}

/** Refuses node counts np sandbox cannot lay out (exit 2). */
export function checkNodeCount(nodes: number): void {
  if (!Number.isInteger(nodes) || nodes < MIN_NODES || nodes > MAX_NODES)
    throw new InputError(
      `--nodes ${nodes}: a sandbox has ${MIN_NODES} to ${MAX_NODES} nodes`,
      [],
      "fewer than 3 nodes cannot hold 3 servers plus an observe node within 2 CPUs each; use --nodes 3 or more",
    );
}

/**
 * The documented role layout. Every node reports 2 CPUs, so each node's minimum (roles + Consul) must fit in 2:
 * - 3 nodes: node1 [server, client, edge], node2 [server, client], node3 [server, observe]
 * - 4 nodes: node1-2 [server], node3 [server, observe], node4 [client, edge]
 * - 5+ nodes: node1-3 [server], node4 [client, edge], node5 [client, observe], node6.. [client]
 */
export function roleLayout(nodes: number): LayoutNode[] {
  checkNodeCount(nodes);
  const layout: LayoutNode[] = [];
  for (let i = 1; i <= nodes; i++)
    layout.push({ name: nodeName(i), roles: i <= 3 ? ["server"] : ["client"] });
  const at = (i: number) => layout[i - 1] as LayoutNode;
  if (nodes === 3) {
    at(1).roles.push("client", "edge");
    at(2).roles.push("client");
    at(3).roles.push("observe");
  } else if (nodes === 4) {
    at(3).roles.push("observe");
    at(4).roles.push("edge");
  } else {
    at(4).roles.push("edge");
    at(5).roles.push("observe");
  }
  return layout;
}

/** Header lines that document the layout in the written inventory, one node per line with its minimum. */
export function layoutComment(layout: readonly LayoutNode[]): string[] {
  const width = Math.max(...layout.map((n) => n.name.length));
  return layout.map((node) => {
    const min = minimumFor(node.roles);
    return `  ${node.name.padEnd(width)}  ${node.roles.join(", ").padEnd(22)} needs ${min.cpu} CPU, ${min.memoryMb} MB`;
  });
}

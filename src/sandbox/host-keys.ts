import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { knownHostsName, parseKnownHosts, patternMatches } from "../remote/known-hosts.js";

/** A node whose SSH host keys are read from its root on the host's disk. */
export interface NodeHostKeys {
  address: string;
  root: string;
}

/** The node's public host keys as known_hosts lines for its address (port 22). */
async function hostKeyLines(node: NodeHostKeys): Promise<string[]> {
  const sshDir = path.join(node.root, "etc/ssh");
  const pubs = (await readdir(sshDir)).filter((f) => /^ssh_host_.*_key\.pub$/.test(f)).sort();
  const lines: string[] = [];
  for (const pub of pubs) {
    const [type, key] = (await readFile(path.join(sshDir, pub), "utf8")).trim().split(/\s+/);
    if (type && key) lines.push(`${knownHostsName(node.address, 22)} ${type} ${key}`);
  }
  return lines;
}

/** known_hosts text with every line for `names` replaced by `lines`; other lines are kept as they are. */
export function replaceKnownHosts(text: string, names: readonly string[], lines: readonly string[]): string {
  const kept = text.split("\n").filter((line) => {
    const [entry] = parseKnownHosts(line);
    return !entry?.patterns.some((p) => names.some((n) => patternMatches(p, n)));
  });
  while (kept.length > 0 && kept[kept.length - 1] === "") kept.pop();
  return [...kept, ...lines].map((l) => `${l}\n`).join("");
}

/**
 * Pins the nodes' host keys in the `.np/known_hosts` that np uses beside the inventory, read from the nodes' roots
 * on disk (no network trust on first use). A recreated sandbox has new host keys; without this, np would rightly
 * refuse them as changed.
 */
export async function pinSandboxHostKeys(
  npStateDir: string,
  nodes: readonly NodeHostKeys[],
): Promise<string> {
  const file = path.join(npStateDir, "known_hosts");
  const current = await readFile(file, "utf8").catch(() => "");
  const lines = (await Promise.all(nodes.map(hostKeyLines))).flat();
  const names = nodes.map((n) => knownHostsName(n.address, 22));
  await mkdir(npStateDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, replaceKnownHosts(current, names, lines), { mode: 0o600 });
  await rename(tmp, file);
  return file;
}

import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Document, isMap, isScalar, isSeq, parseDocument, type YAMLMap } from "yaml";
import type { RoleName } from "../preflight/minimums.js";
import { layoutComment } from "./layout.js";

/** A host of the written inventory. */
export interface InventoryHost {
  name: string;
  address: string;
  roles: RoleName[];
}

export interface SandboxInventory {
  sandbox: string;
  bridge: string;
  subnet: string;
  keyFile: string;
  hosts: InventoryHost[];
  small: string[];
  /** Absolute path of inventory.schema.json for the editor modeline, when np ships one. */
  schemaPath?: string;
}

/** The inventory.schema.json shipped beside np's dist/, if present. */
export function shippedSchemaPath(): string | undefined {
  const file = fileURLToPath(new URL("../../inventory.schema.json", import.meta.url));
  return existsSync(file) ? file : undefined;
}

/** The top-level sections `np sandbox up` writes; any other section of an existing inventory is kept. */
export const MANAGED_SECTIONS = ["cluster", "ssh", "hosts"];

/**
 * The top-level entries of an existing inventory that np does not manage (e.g. `artifacts:`, `versions:` a user
 * pasted in), with their comments; none when the text is not a YAML map.
 */
function unmanagedEntries(existing: string | undefined): YAMLMap["items"] {
  if (existing === undefined) return [];
  const doc = parseDocument(existing);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return [];
  return doc.contents.items.filter(
    (pair) => !(isScalar(pair.key) && MANAGED_SECTIONS.includes(String(pair.key.value))),
  );
}

/**
 * The inventory for a sandbox, in np's inventory shape, with a header comment documenting the role layout. The
 * sections of `existing` (the file as it was) that np does not manage follow, unchanged.
 */
export function renderInventory(inv: SandboxInventory, existing?: string): string {
  const doc = new Document({
    cluster: { name: "sandbox", datacenter: "dc1", region: "global" },
    ssh: { user: "root", port: 22, key: inv.keyFile },
    hosts: inv.hosts.map((h) => ({ name: h.name, address: h.address, roles: h.roles })),
  });
  const hosts = doc.get("hosts");
  if (isSeq(hosts))
    for (const host of hosts.items) {
      const roles = isMap(host) ? (host as YAMLMap).get("roles", true) : undefined;
      if (isSeq(roles)) roles.flow = true;
    }
  const header = [
    ...(inv.schemaPath ? [` yaml-language-server: $schema=${inv.schemaPath}`] : []),
    ` np sandbox "${inv.sandbox}": ${inv.hosts.length} local systemd-nspawn nodes on bridge ${inv.bridge} (${inv.subnet}).`,
    " Written by `np sandbox up`, which rewrites cluster, ssh and hosts on every run and keeps any other section",
    " (artifacts, versions, …) you add; `np sandbox down` removes the nodes.",
    " Every node reports the host's CPUs (2 on np's test machines), so roles are laid out for each node's",
    " minimum (its roles plus Consul) to fit in 2 CPUs: 3 servers; one edge and one observe node; the rest clients.",
    ...layoutComment(inv.hosts).map((l) => ` ${l}`),
    ...(inv.small.length > 0
      ? [` Small nodes (report 1 CPU and 128 MB, for preflight tests): ${inv.small.join(", ")}.`]
      : []),
    " Also on every node: user `deploy` with passwordless sudo and the same key.",
  ];
  doc.commentBefore = header.join("\n");
  const contents = doc.contents as YAMLMap;
  for (const pair of unmanagedEntries(existing)) contents.items.push(pair);
  return doc.toString({ flowCollectionPadding: false });
}

/**
 * Writes the inventory file (0644: it holds the key's path, not the key), keeping the sections of the existing
 * file that np does not manage. Returns their names.
 */
export async function writeInventory(file: string, inv: SandboxInventory): Promise<string[]> {
  const existing = await readFile(file, "utf8").catch(() => undefined);
  await writeFile(file, renderInventory(inv, existing), { mode: 0o644 });
  return unmanagedEntries(existing).map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key));
}

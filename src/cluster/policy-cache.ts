import { readFile } from "node:fs/promises";
import path from "node:path";
import type { AclPolicy } from "../api/consul-acl.js";
import { replacePrivateFileAtomically } from "../secrets/atomic-create.js";

/** Where np keeps the Consul ACL policies it read in full, beside the cluster's secrets. */
export const POLICY_CACHE_FILE = "consul-policies.json";

interface Entry {
  index: number;
  policy: AclPolicy;
}

/**
 * The Consul ACL policies np read in full, by ID and the ModifyIndex Consul had given them (.np/consul-policies.json).
 * Consul's list of policies (one request) carries each one's ModifyIndex but not its rules, and every write of a
 * policy moves its ModifyIndex: a policy whose ID and index are those np read has the rules np read. A no-op
 * `np up` then reads the list alone instead of one request per policy (10 on a 6-node cluster), and a policy
 * someone changed is read again (its index moved), so drift is still found and repaired. The file holds rules only
 * (no secret) and is kept 0600 like the rest of .np/; one np cannot read or parse counts as empty.
 */
export class PolicyCache {
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly entries: Map<string, Entry>,
  ) {}

  static async load(stateDir: string): Promise<PolicyCache> {
    const file = path.join(stateDir, POLICY_CACHE_FILE);
    const entries = new Map<string, Entry>();
    try {
      const data = JSON.parse(await readFile(file, "utf8")) as Record<string, Entry>;
      for (const [id, e] of Object.entries(data))
        if (Number.isInteger(e?.index) && e.policy?.ID === id) entries.set(id, e);
    } catch {
      // No file yet, or one np cannot use: the policies are read from Consul.
    }
    return new PolicyCache(file, entries);
  }

  /** The policy as np read it, when `listed` (from Consul's list) has the same ID and ModifyIndex. */
  get(listed: AclPolicy): AclPolicy | undefined {
    const e = this.entries.get(listed.ID);
    return e && listed.ModifyIndex !== undefined && e.index === listed.ModifyIndex ? e.policy : undefined;
  }

  /** Keeps a policy read in full (it carries its own ModifyIndex). */
  put(policy: AclPolicy): void {
    if (policy.ModifyIndex === undefined) return;
    const had = this.entries.get(policy.ID);
    if (had?.index === policy.ModifyIndex) return;
    this.entries.set(policy.ID, { index: policy.ModifyIndex, policy });
    this.changed = true;
  }

  /** Writes the file when a policy was read in full since it was loaded (a dry run never calls this). */
  async save(): Promise<void> {
    if (!this.changed) return;
    await replacePrivateFileAtomically(this.file, `${JSON.stringify(Object.fromEntries(this.entries))}\n`);
    this.changed = false;
  }
}

const loaded = new Map<string, Promise<PolicyCache>>();

/** One cache per .np/ folder and run: the early read and the phase share it. */
export function policyCacheFor(stateDir: string): Promise<PolicyCache> {
  let c = loaded.get(stateDir);
  if (!c) {
    c = PolicyCache.load(stateDir);
    loaded.set(stateDir, c);
  }
  return c;
}

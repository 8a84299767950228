import { spawnSync } from "node:child_process";
import { opensshOptions } from "./sandbox.js";

/**
 * Test harness: puts this Node binary at /usr/local/bin/node on a sandbox node, so the Nomad double (a Node
 * script installed as /usr/local/bin/nomad) can run there. np itself never does this.
 */
export function installNodeRuntime(address: string, keyFile: string): void {
  const r = spawnSync(
    "scp",
    ["-q", ...opensshOptions(keyFile), process.execPath, `root@${address}:/usr/local/bin/node`],
    {
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  if (r.status !== 0) throw new Error(`cannot copy node to ${address}: ${r.stderr}`);
}

import { spawnSync } from "node:child_process";

/**
 * Test harness: puts this Node binary at /usr/local/bin/node on a sandbox node, so the Nomad double (a Node
 * script installed as /usr/local/bin/nomad) can run there. np itself never does this.
 */
export function installNodeRuntime(address: string, keyFile: string): void {
  const r = spawnSync(
    "scp",
    [
      "-q",
      "-i",
      keyFile,
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      "LogLevel=ERROR",
      process.execPath,
      `root@${address}:/usr/local/bin/node`,
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`cannot copy node to ${address}: ${r.stderr}`);
}

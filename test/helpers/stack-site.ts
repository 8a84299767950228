// What most e2e files start from: a fresh sandbox (leftovers of an interrupted run removed first) and the stack
// mirror served on loopback, with an inventory that reaches both.
import path from "node:path";
import { type ServedMirror, serveMirror } from "../tools/mirror-server.ts";
import { runNp } from "./run-np.js";
import { type StartSandboxOptions, startSandbox, type TestSandbox } from "./sandbox.js";
import { buildStackMirror, STACK_VERSIONS } from "./stack-mirror.js";

export interface StackSite {
  sbx: TestSandbox;
  mirror: ServedMirror;
  /** The public key the mirror's signatures verify with (an inventory's `artifacts.trusted_keys`). */
  keyPath: string;
  /** The inventory fields that reach this site: root over SSH with the sandbox's key, the mirror's versions and artifacts. */
  reach: {
    ssh: { user: string; key: string };
    versions: typeof STACK_VERSIONS;
    artifacts: Record<string, unknown>;
  };
}

export async function startStackSite(opts: StartSandboxOptions, work: string): Promise<StackSite> {
  runNp(["sandbox", "down", "--name", opts.name]);
  const sbx = await startSandbox(opts);
  const built = await buildStackMirror(path.join(work, "mirror"));
  const mirror = await serveMirror(built.dir);
  return {
    sbx,
    mirror,
    keyPath: built.keyPath,
    reach: {
      ssh: { user: "root", key: sbx.keyFile },
      versions: STACK_VERSIONS,
      artifacts: { source: "mirror", url: mirror.url, trusted_keys: [built.keyPath] },
    },
  };
}

/** Stops the mirror and removes the sandbox (also when the start failed half way: by its name). */
export async function stopStackSite(name: string, site: StackSite | undefined): Promise<void> {
  await site?.mirror.close();
  runNp(["sandbox", "down", "--name", name]);
}

import os from "node:os";
import path from "node:path";

/**
 * Where Node keeps np's compiled code: $NODE_COMPILE_CACHE when set (Node's own override), else the user's cache
 * folder ($XDG_CACHE_HOME or ~/.cache, `np/node-compile-cache`); undefined (no cache) when the user has no home.
 * Never Node's default in the shared /tmp: np runs as root, and code cache another local user planted there would
 * run as np.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_COMPILE_CACHE) return env.NODE_COMPILE_CACHE;
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME))
    return path.join(env.XDG_CACHE_HOME, "np", "node-compile-cache");
  let home: string;
  try {
    home = os.homedir();
  } catch {
    return undefined; // no passwd entry and no $HOME
  }
  return home ? path.join(home, ".cache", "np", "node-compile-cache") : undefined;
}

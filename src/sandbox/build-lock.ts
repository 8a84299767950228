import { open, readFile, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "./state.js";

/**
 * Waits for and takes the lock that serialises base-root builds: two `np sandbox up` started together (two
 * sandboxes, or parallel test files) must not both run debootstrap into the same home. A lock whose holder died
 * is taken over. Returns the function that releases it.
 */
export async function lockBaseBuild(
  lockFile: string,
  signal?: AbortSignal,
  onWait?: (holder: number) => void,
): Promise<() => Promise<void>> {
  let told = false;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const handle = await open(lockFile, "wx", 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number((await readFile(lockFile, "utf8").catch(() => "")).trim());
      // An empty file is a holder between open and write: give it a moment before judging it dead.
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        if (!told) onWait?.(holder);
        told = true;
        await sleep(500, undefined, { signal });
        continue;
      }
      if (!holder) {
        await sleep(200, undefined, { signal });
        const again = (await readFile(lockFile, "utf8").catch(() => "")).trim();
        if (again) continue;
      }
      await rm(lockFile, { force: true });
    }
  }
}

import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("ClusterLock.release", () => {
  it("leaves nothing behind that keeps np running once every part is released", async () => {
    // A process that takes and releases a lock whose holder ends at once, then has nothing left to do: it must
    // exit right away (a leftover 10 s timer kept every np up alive for 10 s after its work).
    const entry = path.join(os.tmpdir(), `np-lock-release-${process.pid}.mjs`);
    await build({
      stdin: {
        contents: `
          import { PassThrough } from "node:stream";
          import { ClusterLock } from "./src/cluster/lock.ts";
          const heartbeat = new PassThrough();
          const lock = new ClusterLock([{ host: "node1", heartbeat, timer: setInterval(() => {}, 1000), done: Promise.resolve() }]);
          const failed = await lock.release();
          console.log(JSON.stringify(failed));
        `,
        resolveDir: path.resolve(import.meta.dirname, "../.."),
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: entry,
      packages: "external",
    });
    const started = Date.now();
    const r = spawnSync(process.execPath, [entry], { encoding: "utf8", timeout: 20_000 });
    expect(r.stdout.trim()).toBe("[]");
    expect(Date.now() - started).toBeLessThan(3000);
    rmSync(entry, { force: true });
  });
});

import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lockBaseBuild } from "../../src/sandbox/build-lock.js";

describe("the base-root build lock", () => {
  let dir: string;
  let lock: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "np-build-lock-"));
    lock = path.join(dir, "base.lock");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("makes a second builder wait until the first releases it", async () => {
    const releaseFirst = await lockBaseBuild(lock);
    expect((await readFile(lock, "utf8")).trim()).toBe(String(process.pid));
    // The holder must look like another live process: a child that sleeps.
    const child = spawn("sleep", ["30"]);
    try {
      await writeFile(lock, `${child.pid}\n`);
      const waits: number[] = [];
      let second = false;
      const pending = lockBaseBuild(lock, undefined, (pid) => waits.push(pid)).then((r) => {
        second = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 1200));
      expect(second).toBe(false);
      expect(waits).toEqual([child.pid]);
      await releaseFirst();
      const releaseSecond = await pending;
      expect((await readFile(lock, "utf8")).trim()).toBe(String(process.pid));
      await releaseSecond();
    } finally {
      child.kill();
    }
  });

  it("takes over a lock whose holder died", async () => {
    const dead = spawn("true");
    await new Promise((r) => dead.once("exit", r));
    await writeFile(lock, `${dead.pid}\n`);
    const release = await lockBaseBuild(lock);
    expect((await readFile(lock, "utf8")).trim()).toBe(String(process.pid));
    await release();
  });

  it("stops waiting when aborted", async () => {
    const child = spawn("sleep", ["30"]);
    try {
      await writeFile(lock, `${child.pid}\n`);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      await expect(lockBaseBuild(lock, ac.signal)).rejects.toThrow(/abort/i);
    } finally {
      child.kill();
    }
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureInotifyInstances } from "../../src/sandbox/inotify.js";

describe("np sandbox raises the inotify instance limit its nodes need", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "np-inotify-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const limit = (content: string) => {
    const f = path.join(dir, `limit-${Math.random()}`);
    writeFileSync(f, content);
    return f;
  };

  it("raises a lower limit and says from what to what", async () => {
    const f = limit("128\n");
    expect(await ensureInotifyInstances(f, 1024)).toMatch(/from 128 to 1024/);
    expect(readFileSync(f, "utf8")).toBe("1024\n");
  });

  it("never lowers a higher limit, and says nothing", async () => {
    const f = limit("8192\n");
    expect(await ensureInotifyInstances(f, 1024)).toBeUndefined();
    expect(readFileSync(f, "utf8")).toBe("8192\n");
  });

  it("says how to raise it by hand when it cannot write the setting", async () => {
    // A read-only sysctl holding a small number: /proc/sys checks its 0444 mode even for root.
    const msg = await ensureInotifyInstances("/proc/sys/kernel/cap_last_cap", 1024);
    expect(msg).toMatch(/could not raise it .*sysctl -w fs.inotify.max_user_instances=1024/);
  });

  it("leaves a setting it cannot read alone", async () => {
    expect(await ensureInotifyInstances(path.join(dir, "missing"), 1024)).toBeUndefined();
  });
});

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NODE_CGROUP_PARENT, trackingHierarchies } from "../../src/sandbox/cgroups.js";
import { inCgroupsArgv } from "../../src/sandbox/nspawn.js";
import { nodePaths, sandboxPaths } from "../../src/sandbox/paths.js";

// Recorded from a hybrid host (cgroup v1 controllers, the v1 name=systemd hierarchy and cgroup2 at unified/).
const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
// A unified host (systemd's default since Debian 11).
const UNIFIED = `24 31 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
27 24 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

describe("sandbox nodes' own cgroups", () => {
  it("tracks processes in the cgroup2 and the v1 name=systemd hierarchies, never in controller ones", () => {
    expect(trackingHierarchies(HYBRID)).toEqual(["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"]);
    expect(trackingHierarchies(UNIFIED)).toEqual(["/sys/fs/cgroup"]);
    expect(trackingHierarchies("")).toEqual([]);
    // A v1 hierarchy that merely has "systemd" in its path or options is not the name=systemd one.
    expect(
      trackingHierarchies("50 31 0:40 / /sys/fs/cgroup/systemd-x rw - cgroup cgroup rw,cpu,name=systemd2\n"),
    ).toEqual([]);
    expect(trackingHierarchies("50 31 0:40 / /mnt/my\\040cg rw - cgroup2 cgroup2 rw\n")).toEqual([
      "/mnt/my cg",
    ]);
  });

  it("names a node's cgroup after its machine name, which is unique across sandboxes", () => {
    expect(NODE_CGROUP_PARENT).toBe("np-sandbox");
    expect(nodePaths(sandboxPaths("nptest-sbx", "/h"), "node2").machine).toBe("nptest-sbx-node2");
  });

  it("starts the program in the given cgroups with the same PID, taking every value as an argument", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "np-cgroup-argv-"));
    // Stand-ins for cgroup.procs files: the wrapper writes its PID into each, then execs the program.
    const files = [path.join(dir, "a procs"), path.join(dir, "$(touch pwned)"), path.join(dir, "--x")];
    for (const f of files) writeFileSync(f, "");
    const argv = inCgroupsArgv(files, "/bin/sh", ["-c", 'echo "$$ $0 $1"', "prog", "-- $HOME"]);
    const r = spawnSync("/bin/sh", argv, { encoding: "utf8", cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const [pid, ...rest] = r.stdout.trim().split(" ");
    expect(rest.join(" ")).toBe("prog -- $HOME");
    for (const f of files) expect(readFileSync(f, "utf8")).toBe(`${pid}\n`);
    expect(existsSync(path.join(dir, "pwned"))).toBe(false);
  });

  it("does not start the program when it cannot join a cgroup", () => {
    const argv = inCgroupsArgv(["/nonexistent/dir/cgroup.procs"], "/bin/echo", ["started"]);
    const r = spawnSync("/bin/sh", argv, { encoding: "utf8" });
    expect(r.status).toBe(125);
    expect(r.stdout).not.toContain("started");
  });
});

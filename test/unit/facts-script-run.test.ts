// FACTS_SCRIPT + STATE_SCRIPT run by real shells on this machine, as np up sends them, with PATH holding only
// wrappers that log each command before running the real one (and a systemctl double: this machine may have no
// systemd). The facts must equal what the classic commands say (nproc, id -u, uname, /proc/meminfo), and the
// round trip must run no more commands than it needs: every fork is CPU each host pays on every run.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseHostState } from "../../src/cluster/host-state.js";
import { STATE_SCRIPT, stateArgs } from "../../src/cluster/state-script.js";
import { FACTS_SCRIPT } from "../../src/preflight/facts-script.js";
import { parseFacts } from "../../src/preflight/parse-facts.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "np-facts-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = path.join(dir, "bin");
const log = path.join(dir, "commands.log");
mkdirSync(bin);

// Every command the scripts may call, each a wrapper that logs "name args" and runs the real one.
const real = (cmd: string) =>
  spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim();
for (const cmd of [
  "date",
  "df",
  "ss",
  "stat",
  "sha256sum",
  "groups",
  "id",
  "nproc",
  "getconf",
  "uname",
  "cat",
  "awk",
]) {
  const target = real(cmd);
  if (!target) continue;
  writeFileSync(
    path.join(bin, cmd),
    `#!/bin/sh\nprintf '%s\\n' "${cmd} $*" >> "${log}"\nexec ${target} "$@"\n`,
  );
  chmodSync(path.join(bin, cmd), 0o755);
}
// systemctl: a block per unit after "--", as `systemctl show -p …` prints them.
writeFileSync(
  path.join(bin, "systemctl"),
  `#!/bin/sh
printf '%s\\n' "systemctl $*" >> "${log}"
while [ "$1" != "--" ]; do shift; done; shift
for u in "$@"; do
  printf 'Id=%s\\nLoadState=loaded\\nActiveState=active\\nSubState=running\\nMainPID=4242\\nFragmentPath=/nonexistent/%s\\nUnitFileState=enabled\\nNeedDaemonReload=no\\n\\n' "$u" "$u"
done
`,
);
chmodSync(path.join(bin, "systemctl"), 0o755);

const file = path.join(dir, "consul.hcl");
writeFileSync(file, 'datacenter = "dc1"\n');
const NONCE = "00112233aabbccdd";

function gather(shell: string, prefix: string[] = []) {
  writeFileSync(log, "");
  const argv = [
    ...prefix,
    real(shell),
    "-s",
    "--",
    NONCE,
    "consul.service nomad.service",
    ...stateArgs({ paths: [dir, file], users: ["root", "nosuchnpuser", "daemon"] }),
  ];
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    input: FACTS_SCRIPT + STATE_SCRIPT,
    encoding: "utf8",
    env: { PATH: bin, HOME: dir },
  });
  expect(r.stderr).not.toMatch(/not found/);
  expect(r.status, r.stderr).toBe(0);
  const commands = readFileSync(log, "utf8").trim().split("\n");
  return { out: r.stdout, commands };
}

const idGroups = (user: string) => execFileSync("id", ["-nG", user], { encoding: "utf8" }).trim().split(" ");
const uname = (flag: string) => execFileSync("uname", [flag], { encoding: "utf8" }).trim();

describe("the facts and state scripts, run by real shells", () => {
  for (const shell of ["sh", "bash"]) {
    it(`${shell}: facts as nproc, id, uname and /proc/meminfo give them, from few commands`, () => {
      const { out, commands } = gather(shell);
      const facts = parseFacts(out, NONCE);
      expect(facts.unreadable).toEqual([]);
      expect(facts.cpus).toBe(Number(execFileSync("nproc", { encoding: "utf8" })));
      expect(facts.uid).toBe(process.getuid?.());
      expect(facts.kernel).toBe(uname("-r"));
      expect(facts.arch).toBe(uname("-m"));
      expect(facts.memory.totalMb).toBe(Math.floor(os.totalmem() / 1024 / 1024));
      expect(facts.disks.map((d) => d.path)).toEqual(["/tmp", "/usr/local/bin", "/var/lib"]);
      for (const d of facts.disks) expect(d.totalMb).toBeGreaterThan(0);
      expect(Math.abs((facts.timeMs ?? 0) - Date.now())).toBeLessThan(60_000);

      // One systemctl for np's units (and the listening processes' units): the state script reads its output.
      const state = parseHostState(out, NONCE, ["consul", "nomad"]);
      expect(state.units.get("consul")).toMatchObject({ active: "active", mainPid: 4242, enabled: true });
      expect(state.users.get("root")).toEqual(idGroups("root"));
      expect(state.users.get("daemon")).toEqual(idGroups("daemon"));
      expect(state.users.has("nosuchnpuser")).toBe(false);
      const names = commands.map((c) => c.split(" ")[0]);
      expect(names.filter((n) => n === "systemctl")).toHaveLength(1);
      expect(commands.find((c) => c.startsWith("systemctl"))).toMatch(/ consul\.service nomad\.service/);
      // What a no-op round trip may cost a host: the clock, one df, ss, one systemctl, one stat, one sha256sum
      // (files the cache does not know), one groups. Nothing the shell can read by itself (cat, nproc, uname, id…).
      expect(
        names.filter((n) => !["date", "df", "ss", "systemctl", "stat", "sha256sum", "groups"].includes(n)),
      ).toEqual([]);
      expect(names.length).toBeLessThanOrEqual(7);
    });
  }

  it("counts the CPUs this shell may run on, as nproc does (affinity restricted to one CPU)", () => {
    // taskset is util-linux's, on every Debian.
    const taskset = real("taskset");
    expect(taskset).not.toBe("");
    const { out } = gather("sh", [taskset, "-c", "0"]);
    expect(parseFacts(out, NONCE).cpus).toBe(1);
  });
});

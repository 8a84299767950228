import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { shellJoin } from "../../src/remote/quote.js";
import { nodeCgroupDirs } from "../../src/sandbox/cgroups.js";
import { nodeBin, npBin, runNp } from "../helpers/run-np.js";
import { canRunSandbox } from "../helpers/sandbox.js";

// Runs README.md's Quickstart as written, on the README's own default sandbox (name np, 10.213.7.0/24): no other
// test file uses it.
const repo = fileURLToPath(new URL("../..", import.meta.url));
const SANDBOX = "np";
const STATE_DIR = `/var/lib/np/sandbox/${SANDBOX}`;
const NODES = ["node1", "node2", "node3", "node4", "node5"];

interface Command {
  /** The line as README has it, without its comment. */
  line: string;
  /** The exit code its comment documents ("(exit 3)"), else 0. */
  exit: number;
}

/** README's Quickstart section: its command blocks and the prose around them. */
function readQuickstart(): { main: Command[]; offline: Command[]; offlineBefore: string } {
  const readme = readFileSync(path.join(repo, "README.md"), "utf8");
  const section = /^## Quickstart\b.*$([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (!section) throw new Error("README.md has no '## Quickstart' section");
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) =>
    (m[1] ?? "")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.trim().startsWith("#"))
      .map((l): Command => {
        const comment = /\s#\s.*$/.exec(l)?.[0] ?? "";
        return {
          line: l.slice(0, l.length - comment.length).trim(),
          exit: Number(/\(exit (\d+)\)/.exec(comment)?.[1] ?? 0),
        };
      }),
  );
  const [main, offline] = blocks;
  if (!main || !offline)
    throw new Error("README's Quickstart should have the sandbox block and the offline-mirror block");
  // "run these two commands before `plan`": where the offline commands go.
  const prose = section.slice(section.indexOf("```", section.indexOf("```sh") + 5));
  const offlineBefore = /before `([^`]+)`/.exec(prose)?.[1];
  if (!offlineBefore) throw new Error("README's offline paragraph should say before which command to run it");
  return { main, offline, offlineBefore };
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

/** Processes of the sandbox's nodes in the host's process table (zombies included). */
function nodeProcesses(): string[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .flatMap((pid) => {
      const argv = readOr(`/proc/${pid}/cmdline`, "").split("\0").join(" ");
      const cgroup = readOr(`/proc/${pid}/cgroup`, "");
      return argv.includes(`--machine ${SANDBOX}-node`) || cgroup.includes(`/np-sandbox/${SANDBOX}-node`)
        ? [`${pid} ${argv || readOr(`/proc/${pid}/comm`, "").trim()}`]
        : [];
    });
}

/** The np command of an argv after `np`: its words up to the first flag, global `-i FILE` skipped. */
function npCommandOf(args: string[]): string {
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i] ?? "";
    if (w === "-i") i++;
    else if (w.startsWith("-")) break;
    else words.push(w);
  }
  return words.join(" ");
}

let skipReason = canRunSandbox();
if (!skipReason && existsSync(STATE_DIR) && process.env.CI !== "true")
  skipReason = `a sandbox named ${SANDBOX} exists (yours?): the quickstart test would replace it; np sandbox down first`;
if (skipReason) console.warn(`skipping test/e2e/quickstart.test.ts: ${skipReason}`);

const quickstart = readQuickstart();
const insertAt = quickstart.main.findIndex((c) => c.line.split(/\s+/).includes(quickstart.offlineBefore));
const steps: (Command & { offline?: boolean })[] = [
  ...quickstart.main.slice(0, insertAt),
  ...quickstart.offline.map((c) => ({ ...c, offline: true })),
  ...quickstart.main.slice(insertAt),
];

describe.skipIf(skipReason !== null)("README's Quickstart, run as written", { timeout: 15 * 60_000 }, () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  const seen: string[] = [];

  beforeAll(() => {
    expect(insertAt, `the offline commands go before "${quickstart.offlineBefore}"`).toBeGreaterThan(0);
    // Under CI a sandbox np left here is a previous run's.
    runNp(["sandbox", "down", "--name", SANDBOX]);
    work = mkdtempSync(path.join(os.tmpdir(), "np-quickstart-"));
    const bin = path.join(work, ".bin");
    mkdirSync(bin);
    // `np` as a user has it on PATH: the built CLI.
    writeFileSync(path.join(bin, "np"), `#!/bin/sh\nexec ${shellJoin([nodeBin, npBin])} "$@"\n`);
    chmodSync(path.join(bin, "np"), 0o755);
    env = {
      ...process.env,
      NO_COLOR: "1",
      // A cache of the test's own (a user's would be ~/.cache/np): other e2e files run beside this one.
      NP_CACHE_DIR: path.join(work, "cache"),
      PATH: [bin, path.dirname(process.execPath), process.env.PATH].join(":"),
    };
  });

  afterAll(() => {
    runNp(["sandbox", "down", "--name", SANDBOX]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs one README line with bash in the work directory; `npm run` is pointed at the checkout. */
  function run(line: string): { code: number; out: string } {
    const script = line.replace(/^npm run /, `npm --prefix ${shellJoin([repo])} run `);
    const r = spawnSync("bash", ["-c", script], { cwd: work, env, encoding: "utf8", timeout: 10 * 60_000 });
    const out = `${r.stdout}${r.stderr}`;
    console.log(`$ ${line}   (exit ${r.status})\n${out}`);
    return { code: r.status ?? -1, out };
  }

  for (const step of steps) {
    it(`${step.line}${step.exit ? `   (exit ${step.exit})` : ""}`, async () => {
      const { code, out } = run(step.line);
      expect(code, out).toBe(step.exit);
      const words = step.line.split(/\s+/);
      const kind = words[0] === "np" ? npCommandOf(words.slice(1)) : "";
      if (kind === "sandbox up") {
        expect(out).toMatch(/^inventory written to /m);
        for (const n of NODES)
          expect(out).toMatch(new RegExp(`^${n}: ready: sshd answers at .*systemd running`, "m"));
        const small = words.includes("--small");
        if (small) expect(out).toMatch(/^node5: starting at 10\.213\.7\.15 \(small: 1 CPU, 128 MB\)/m);
        else expect(out).toMatch(/^node5: settings changed: restarting$/m);
        seen.push(small ? "sandbox up --small" : "sandbox up");
      } else if (kind === "check" && step.exit === 3) {
        expect(out).toMatch(
          /^node5 \(10\.213\.7\.15\): roles client, observe need 512 MB RAM and 1\.75 CPU; it has 128 MB and 1 CPU$/m,
        );
        for (const n of NODES.slice(0, 4)) expect(out).toMatch(new RegExp(`^${n}: ok `, "m"));
        seen.push("check refuses node5");
      } else if (kind === "check") {
        expect(out).toContain("all 5 hosts passed preflight");
        seen.push("check passes");
      } else if (kind === "plan") {
        const changes = Number(/^(\d+) changes on 5 hosts; run `np up` to apply them$/m.exec(out)?.[1]);
        expect(changes, "plan shows changes").toBeGreaterThan(0);
        seen.push("plan");
      } else if (kind === "up") {
        expect(out).toMatch(/^cluster sandbox is up: \d+ changes on 5 hosts/m);
        // Converged: the same plan now has nothing to do.
        expect(run("np -i sandbox.inventory.yaml plan").out).toContain(
          "no changes: cluster sandbox matches the inventory",
        );
        seen.push("up");
      } else if (kind === "status") {
        // The verdict, then the apps (none yet on a fresh cluster).
        expect(out.trimEnd()).toMatch(
          /\nhealthy\n\napps: none deployed yet \(np init app, then np deploy\)$/,
        );
        expect(out).toMatch(/^Consul: leader .*, 3 voters, failure tolerance 1, healthy$/m);
        expect(out).toMatch(/^Nomad: leader .*, 3 voters, failure tolerance 1, healthy$/m);
        seen.push("status");
      } else if (kind === "nodes") {
        for (const n of NODES) expect(out).toMatch(new RegExp(`^${n}\\s+\\S+\\s+fresh\\s`, "m"));
        seen.push("nodes");
      } else if (kind === "sandbox down") {
        // Right after it returns: no process, bridge, cgroup or state of the nodes is left.
        expect(nodeProcesses()).toEqual([]);
        expect(spawnSync("ip", ["link", "show", `np-${SANDBOX}`]).status).not.toBe(0);
        for (const n of NODES)
          for (const dir of await nodeCgroupDirs(`${SANDBOX}-${n}`)) expect(existsSync(dir), dir).toBe(false);
        expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(`${STATE_DIR}/`);
        expect(existsSync(STATE_DIR)).toBe(false);
        seen.push("sandbox down");
      } else if (step.offline && words[0] === "cat") {
        // The paste: the inventory now has the mirror's sections beside np's, and is still valid.
        const inv = parse(readFileSync(path.join(work, "sandbox.inventory.yaml"), "utf8"));
        expect(inv.artifacts.source).toBe("dir");
        expect(inv.versions).toMatchObject({ consul: "1.8.7", nomad: "1.10.5", node: "24.22.3" });
        expect(inv.hosts).toHaveLength(5);
        seen.push("paste mirror");
      } else if (step.offline) {
        expect(existsSync(path.join(work, "mirror", "artifacts.yaml")), "the mirror's artifacts.yaml").toBe(
          true,
        );
        seen.push("mirror");
      }
    });
  }

  it("covered every documented outcome, in order", () => {
    expect(seen).toEqual([
      "sandbox up --small",
      "check refuses node5",
      "sandbox up",
      "check passes",
      "mirror",
      "paste mirror",
      "plan",
      "up",
      "status",
      "nodes",
      "sandbox down",
    ]);
  });
});

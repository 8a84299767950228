import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type NpResult, npBin } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, startSandbox, type TestSandbox } from "../helpers/sandbox.js";

// Remote-layer faults on real sandbox nodes: a connection killed mid-command, a silent network cut, Ctrl-C.
// This file's own sandbox (name, subnet): other e2e files use others.
const NAME = "nptest-flt";
const SUBNET = "10.213.22.0/24";

const skipReason = canRunSandbox();
if (skipReason) console.warn(`skipping test/e2e/faults.test.ts: ${skipReason}`);

// A `date` that never answers, first on root's PATH: np's facts round trip (which reads the host's clock with
// date) hangs in it until the fault.
const HOLD = "/usr/local/bin/date";
const HOLD_SCRIPT = "#!/bin/sh\n# np-fault-hold: a test stand-in for date that never answers\nsleep 600\n";

/**
 * np running in the background, as a user would start it, so the test can cut things while it runs (runNpAsync
 * cannot send it Ctrl-C); `done` settles when it exits, with how long it ran.
 */
function startNp(args: string[]): { done: Promise<NpResult & { ms: number }>; interrupt(): void } {
  const started = Date.now();
  const child = spawn(process.execPath, [npBin, ...args], { env: { ...process.env, NO_COLOR: "1" } });
  const text = (stream: NodeJS.ReadableStream) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    return () => Buffer.concat(chunks).toString("utf8");
  };
  const [stdout, stderr] = [text(child.stdout), text(child.stderr)];
  const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const done = new Promise<NpResult & { ms: number }>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code: code ?? -1, stdout: stdout(), stderr: stderr(), ms: Date.now() - started });
    }),
  );
  return { done, interrupt: () => child.kill("SIGINT") };
}

/** Polls `check` every 200 ms until it is true (at most `timeoutMs`). */
async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(skipReason !== null)(
  "remote faults end in clear host errors (real SSH, real sshd)",
  { timeout: 180_000 },
  () => {
    let sbx: TestSandbox;
    const addr = (name: string) => sbx.nodes.find((n) => n.name === name)?.address as string;
    const onNode = (name: string, argv: string[]) => sshToNode(addr(name), argv, { keyFile: sbx.keyFile });
    const holding = (name: string) => onNode(name, ["pgrep", "-f", `^/bin/sh ${HOLD}`]).code === 0;
    const holders = ["node2", "node3"];

    /** The host-side end of a node's veth (`vb-…` on the sandbox bridge), found from the node's host0. */
    function vethOf(name: string): string {
      const index = onNode(name, ["cat", "/sys/class/net/host0/iflink"]).stdout.trim();
      const link = spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout;
      const line = link.split("\n").find((l) => l.startsWith(`${index}: `));
      const veth = line?.split(": ")[1]?.split("@")[0];
      if (!veth?.startsWith("vb-")) throw new Error(`no veth for ${name} (ifindex ${index}) in:\n${link}`);
      return veth;
    }

    const setLink = (veth: string, state: "up" | "down") => {
      const r = spawnSync("ip", ["link", "set", "dev", veth, state], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`ip link set ${veth} ${state}: ${r.stderr}`);
    };

    beforeAll(async () => {
      spawnSync(process.execPath, [npBin, "sandbox", "down", "--name", NAME]);
      sbx = await startSandbox({ name: NAME, nodes: 4, subnet: SUBNET });
      expect(parse(readFileSync(sbx.inventoryFile, "utf8")).hosts).toHaveLength(4);
    });

    afterEach(async () => {
      for (const n of holders) {
        onNode(n, ["sh", "-c", `rm -f ${HOLD}; pkill -f '^/bin/sh ${HOLD}'; pkill -x -f 'sleep 600'; true`]);
      }
    });

    afterAll(async () => {
      await sbx?.stop();
    });

    function hold(...names: string[]) {
      for (const n of names) {
        const r = onNode(n, [
          "sh",
          "-c",
          'printf "%s" "$1" > "$2" && chmod 755 "$2"',
          "sh",
          HOLD_SCRIPT,
          HOLD,
        ]);
        expect(r.code, r.stderr).toBe(0);
      }
    }

    function expectOthersOk(r: NpResult, others: string[]) {
      for (const n of others) expect(r.stdout, r.stdout + r.stderr).toMatch(new RegExp(`^${n} .* ok$`, "m"));
    }

    it("names a host whose sshd is killed mid-command: connection lost, exit 1 at once, the others' results", async () => {
      hold("node2");
      const np = startNp(["check", "-i", sbx.inventoryFile]);
      await until("np's facts command hangs on node2", () => holding("node2"));
      // Kill every sshd process above the hanging command, except the listener (whose parent is PID 1).
      const kill = onNode("node2", [
        "sh",
        "-c",
        `p=$(pgrep -o -f '^/bin/sh ${HOLD}'); while [ "\${p:-1}" -gt 1 ]; do pp=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2); if [ "$(cat /proc/$p/comm)" = sshd ] && [ "$pp" != 1 ]; then kill -KILL "$p"; fi; p=$pp; done`,
      ]);
      expect(kill.code, kill.stderr).toBe(0);
      const killedAt = Date.now();
      const r = await np.done;
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(1);
      expect(out).toContain(
        `node2 (${addr("node2")}): connection lost while gathering facts: closed by the host (check that node2 is up and reachable, then run np again`,
      );
      expect(out).not.toMatch(/exited with undefined|internal error|Not connected/);
      expect(r.stderr).toMatch(/cannot reach 1 host: node2/);
      expectOthersOk(r, ["node1", "node3", "node4"]);
      // At once: no keepalive timeout involved.
      expect(Date.now() - killedAt).toBeLessThan(10_000);
    });

    it("notices a silent network cut within the keepalive time (15-20 s) and names the host", async () => {
      hold("node3");
      const veth = vethOf("node3");
      const np = startNp(["check", "-i", sbx.inventoryFile]);
      try {
        await until("np's facts command hangs on node3", () => holding("node3"));
        setLink(veth, "down");
        const cutAt = Date.now();
        const r = await np.done;
        const detectedMs = Date.now() - cutAt;
        console.log(
          `faults.test.ts: np noticed the cut network of node3 after ${(detectedMs / 1000).toFixed(1)} s`,
        );
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(1);
        expect(out).toContain(
          `node3 (${addr("node3")}): connection lost while gathering facts: no answer for 15 s (check that node3 is up and reachable, then run np again: \`np up\` continues where it stopped)`,
        );
        expect(out).not.toMatch(/exited with undefined|internal error/);
        expectOthersOk(r, ["node1", "node2", "node4"]);
        // Keepalives every 5 s, 3 unanswered: 15-20 s, plus a loaded machine's slack; never the old ~70 s.
        expect(detectedMs).toBeGreaterThan(10_000);
        expect(detectedMs).toBeLessThan(40_000);
      } finally {
        setLink(veth, "up");
        await until("node3 answers again", () => onNode("node3", ["true"]).code === 0);
      }
    });

    it("on Ctrl-C stops its commands on every host, says interrupted and exits 1", async () => {
      hold("node2", "node3");
      const np = startNp(["check", "-i", sbx.inventoryFile]);
      await until("np's facts commands hang on node2 and node3", () => holding("node2") && holding("node3"));
      np.interrupt();
      const r = await np.done;
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain("error: interrupted: remote commands were stopped and connections closed");
      // Asserted on the nodes: the commands np started there are gone (closing a channel alone leaves them running).
      await until("the hanging commands are gone", () => !holding("node2") && !holding("node3"), 10_000);
      expect(onNode("node2", ["pgrep", "-x", "-f", "sleep 600"]).code).toBe(1);
    });
  },
);

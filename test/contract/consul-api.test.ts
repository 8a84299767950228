import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsulApi, consulMemberStatus } from "../../src/api/consul.js";
import { consulBinary, consulMissing } from "../helpers/consul-binary.js";

const ADDRS = ["127.0.0.31", "127.0.0.32", "127.0.0.33"];
const dispatcher = new Agent();
const procs = new Map<string, ChildProcess>();
const dirs: string[] = [];

function startServer(addr: string, i: number): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "np-consul-"));
  dirs.push(dir);
  const join = ADDRS.filter((a) => a !== addr).flatMap((a) => ["-retry-join", a]);
  const p = spawn(
    consulBinary,
    [
      "agent",
      "-server",
      "-bootstrap-expect=3",
      `-node=server-${i + 1}`,
      `-bind=${addr}`,
      `-client=${addr}`,
      `-data-dir=${dir}`,
      ...join,
    ],
    { stdio: "ignore" },
  );
  procs.set(addr, p);
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}: ${String(last)}`);
}

describe.skipIf(consulMissing())("Consul API client against a real 3-server Consul 1.8.7", () => {
  const api = new ConsulApi(`http://${ADDRS[0]}:8500`, dispatcher);

  beforeAll(async () => {
    ADDRS.forEach(startServer);
    await until("a Consul leader", async () => ((await api.leader()) !== "" ? true : undefined));
  });

  afterAll(async () => {
    for (const p of procs.values()) p.kill("SIGKILL");
    await dispatcher.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("reads the leader, raft peers and members", async () => {
    expect(await api.leader()).toMatch(/^127\.0\.0\.3[123]:8300$/);
    const raft = await api.raftConfiguration();
    expect(raft.Servers.map((s) => s.Address).sort()).toEqual(ADDRS.map((a) => `${a}:8300`));
    expect(raft.Servers.filter((s) => s.Leader)).toHaveLength(1);
    const members = await api.members();
    expect(
      members.map((m) => [m.Name, consulMemberStatus(m.Status), m.Tags.build?.split(":")[0]]).sort(),
    ).toEqual([
      ["server-1", "alive", "1.8.7"],
      ["server-2", "alive", "1.8.7"],
      ["server-3", "alive", "1.8.7"],
    ]);
  });

  it("reads autopilot health: tolerance 1 when healthy, 0 with a server down", async () => {
    const healthy = await until("a healthy cluster", async () => {
      const h = await api.autopilotHealth();
      return h.Healthy ? h : undefined;
    });
    expect(healthy.FailureTolerance).toBe(1);
    procs.get(ADDRS[2] as string)?.kill("SIGKILL");
    // Consul marks the killed server failed; autopilot (cleanup_dead_servers) may then drop it from the peers.
    // Either way the cluster can no longer lose a server: failure tolerance 0.
    const degraded = await until("autopilot to notice the lost server", async () => {
      const h = await api.autopilotHealth();
      // Right after losing the leader, Consul answers with Servers: null until a new leader is elected.
      const lost = h.Servers?.find((s) => s.Address.startsWith(ADDRS[2] as string));
      return h.Servers && h.FailureTolerance === 0 && (!lost || lost.SerfStatus === "failed") ? h : undefined;
    });
    expect(degraded.FailureTolerance).toBe(0);
    const lost = degraded.Servers?.find((s) => s.Address.startsWith(ADDRS[2] as string));
    if (lost) expect([lost.SerfStatus, lost.Healthy, degraded.Healthy]).toEqual(["failed", false, false]);
    else expect(degraded.Servers?.map((s) => s.SerfStatus)).toEqual(["alive", "alive"]);
  }, 60_000);
});

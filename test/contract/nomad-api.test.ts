import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NomadApi } from "../../src/api/nomad.js";

// np's Nomad client against the Nomad test double (Nomad itself cannot be obtained on these machines).
const DOUBLE = fileURLToPath(new URL("../doubles/nomad-double.mjs", import.meta.url));
const ADDRS = ["127.0.0.41", "127.0.0.42", "127.0.0.43"];
const dispatcher = new Agent();
const procs: ChildProcess[] = [];
const dirs: string[] = [];

function startServer(addr: string): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "np-nomad-api-"));
  dirs.push(dir);
  const join = ADDRS.map((a) => `"${a}"`).join(", ");
  writeFileSync(
    path.join(dir, "nomad.hcl"),
    `name = "s-${addr.split(".")[3]}"\ndata_dir = "${dir}/data"\nbind_addr = "${addr}"\n` +
      `server {\n  enabled = true\n  bootstrap_expect = 3\n  server_join {\n    retry_join = [${join}]\n  }\n}\n`,
  );
  procs.push(
    spawn(process.execPath, [DOUBLE, "agent", "-config", dir], {
      stdio: "ignore",
      env: { ...process.env, NOMAD_DOUBLE_RPC_HOLD_MS: "500" },
    }),
  );
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("timed out");
}

describe("Nomad API client against the Nomad test double", () => {
  const api = new NomadApi(`http://${ADDRS[0]}:4646`, dispatcher);

  beforeAll(() => startServer(ADDRS[0] as string));

  afterAll(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await dispatcher.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('reads no leader as "" while bootstrap_expect is not met (Nomad answers 500 No cluster leader)', async () => {
    const leader = await until(async () => api.leader());
    expect(leader).toBe("");
  });

  it("reads the leader, autopilot health and raft configuration once three servers joined", async () => {
    startServer(ADDRS[1] as string);
    startServer(ADDRS[2] as string);
    const leader = await until(async () => {
      const l = await api.leader();
      return l === "" ? undefined : l;
    });
    expect(leader).toMatch(/^127\.0\.0\.4[123]:4647$/);
    const health = await until(async () => {
      const h = await api.autopilotHealth();
      return h.Healthy ? h : undefined;
    });
    expect(health.FailureTolerance).toBe(1);
    expect((await api.raftConfiguration()).Servers.map((s) => s.RaftProtocol)).toEqual(["3", "3", "3"]);
    expect((await api.peers()).sort()).toEqual(ADDRS.map((a) => `${a}:4647`));
  });
});

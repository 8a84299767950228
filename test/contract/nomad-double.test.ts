// Contract test of np's Nomad double: a real 3-server + 1-client cluster of double processes on loopback
// addresses, checked against the shapes of the Nomad 1.10.5 API samples and against Nomad's cluster behaviour.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DOUBLE = fileURLToPath(new URL("../doubles/nomad-double.mjs", import.meta.url));
const VERSION = /^const VERSION = "(.*)";$/m.exec(readFileSync(DOUBLE, "utf8"))?.[1];
// Copies of the reference doc samples (test/fixtures/README.md).
const REFERENCE = fileURLToPath(new URL("../fixtures/nomad-api", import.meta.url));

// Keys of the Nomad 1.10.5 API doc samples (reference/nomad-api/*), top level and per item.
const SAMPLE = {
  raft: ["Index", "Servers"],
  raftServer: ["Address", "ID", "Leader", "Node", "RaftProtocol", "Voter"],
  autopilot: ["FailureTolerance", "Healthy", "Leader", "Servers", "Voters"],
  autopilotServer: [
    "Address",
    "Healthy",
    "ID",
    "LastContact",
    "LastIndex",
    "LastTerm",
    "Leader",
    "Name",
    "SerfStatus",
    "StableSince",
    "Version",
    "Voter",
  ],
  members: ["Members", "ServerDC", "ServerName", "ServerRegion"],
  member: [
    "Addr",
    "DelegateCur",
    "DelegateMax",
    "DelegateMin",
    "Name",
    "Port",
    "ProtocolCur",
    "ProtocolMax",
    "ProtocolMin",
    "Status",
    "Tags",
  ],
  self: ["config", "member", "stats"],
  health: ["message", "ok"],
  nodeStub: [
    "Address",
    "Attributes",
    "CreateIndex",
    "Datacenter",
    "Drain",
    "Drivers",
    "ID",
    "LastDrain",
    "ModifyIndex",
    "Name",
    "NodeClass",
    "NodePool",
    "SchedulingEligibility",
    "Status",
    "StatusDescription",
    "Version",
  ],
  node: [
    "Attributes",
    "ComputedClass",
    "CreateIndex",
    "Datacenter",
    "Drain",
    "DrainStrategy",
    "Drivers",
    "Events",
    "HTTPAddr",
    "HostNetworks",
    "HostVolumes",
    "ID",
    "LastDrain",
    "Links",
    "Meta",
    "ModifyIndex",
    "Name",
    "NodeClass",
    "NodePool",
    "NodeResources",
    "Reserved",
    "ReservedResources",
    "Resources",
    "SchedulingEligibility",
    "SecretID",
    "Status",
    "StatusDescription",
    "StatusUpdatedAt",
    "TLSEnabled",
  ],
};
const keys = (o: object) => Object.keys(o).sort();

// Short timings so failures are noticed in about a second; the defaults (1s/5s/10s/5s) are for real use.
const ENV = {
  ...process.env,
  NOMAD_DOUBLE_GOSSIP_MS: "150",
  NOMAD_DOUBLE_FAILURE_MS: "1000",
  NOMAD_DOUBLE_NODE_TTL_MS: "1500",
  NOMAD_DOUBLE_RPC_HOLD_MS: "600",
};

interface Member {
  name: string;
  ip: string;
  server: boolean;
  dir: string;
  proc?: ChildProcess;
  output: string;
  exited?: Promise<number | null>;
}

const root = mkdtempSync(path.join(tmpdir(), "np-nomad-double-"));
const GOSSIP_KEY = Buffer.alloc(32, 7).toString("base64");
const servers: Member[] = [1, 2, 3].map((i) => member(`node${i}`, `127.0.0.2${i}`, true));
const client = member("node4", "127.0.0.24", false);
const all = [...servers, client];

/** Writes nomad.hcl exactly in the shape np renders (notes/cluster-layout.md). */
function member(name: string, ip: string, server: boolean): Member {
  const dir = path.join(root, name);
  const retry = '["127.0.0.21", "127.0.0.22", "127.0.0.23"]';
  const role = server
    ? `server {
  enabled          = true
  bootstrap_expect = 3
  encrypt          = "${GOSSIP_KEY}"
  server_join {
    retry_join = ${retry}
  }
}
autopilot {
  cleanup_dead_servers      = true
  server_stabilization_time = "2s"
}
`
    : `client {
  enabled    = true
  servers    = ${retry}
  node_class = "web"
  meta {
    rack = "r1"
  }
}
`;
  const hcl = `region     = "global"
datacenter = "dc1"
name       = "${name}"
data_dir   = "${dir}/data"
bind_addr  = "${ip}"
advertise {
  http = "${ip}"
  rpc  = "${ip}"
  serf = "${ip}"
}
${role}consul {
  address = "127.0.0.1:8500"
}
`;
  mkdirSync(path.join(dir, "etc"), { recursive: true });
  writeFileSync(path.join(dir, "etc", "nomad.hcl"), hcl);
  return { name, ip, server, dir, output: "" };
}

function start(m: Member): void {
  const proc = spawn(process.execPath, [DOUBLE, "agent", "-config", path.join(m.dir, "etc")], {
    env: ENV,
    stdio: ["ignore", "pipe", "pipe"],
  });
  m.proc = proc;
  proc.stdout?.on("data", (d) => {
    m.output += d;
  });
  proc.stderr?.on("data", (d) => {
    m.output += d;
  });
  m.exited = new Promise((resolve) => proc.on("exit", (code) => resolve(code)));
}

async function stop(m: Member, signal: NodeJS.Signals): Promise<number | null> {
  m.proc?.kill(signal);
  const code = await m.exited;
  m.proc = undefined;
  return code ?? null;
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}
async function api(ip: string, p: string, method = "GET"): Promise<Reply> {
  const r = await fetch(`http://${ip}:4646${p}`, { method });
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: r.status, headers: r.headers, text, body };
}
// biome-ignore lint/suspicious/noExplicitAny: API documents are checked field by field below.
const doc = async (ip: string, p: string): Promise<any> => (await api(ip, p)).body;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const logs = all.map((m) => `--- ${m.name}\n${m.output.slice(-1500)}`).join("\n");
  throw new Error(`timed out waiting for ${what} (last error: ${String(last)})\n${logs}`);
}

const leaderOf = async (ip: string) => {
  const r = await api(ip, "/v1/status/leader");
  return r.status === 200 && r.body ? (r.body as string) : undefined;
};
const aliveServers = async (ip: string) =>
  ((await doc(ip, "/v1/agent/members")).Members as { Status: string }[]).filter((m) => m.Status === "alive")
    .length;

describe("np's Nomad double, run as a 3-server + 1-client cluster on loopback", () => {
  beforeAll(() => {
    expect(VERSION, 'the double must keep a `const VERSION = "…";` line').toBeTruthy();
  });
  afterAll(async () => {
    for (const m of all) m.proc?.kill("SIGKILL");
    await Promise.all(all.map((m) => (m.proc ? m.exited : undefined)));
    rmSync(root, { recursive: true, force: true });
  });

  it("`nomad version` prints `Nomad v<VERSION>` first and says it is np's test double", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [DOUBLE, "version"]);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe(`Nomad v${VERSION}`);
    expect(lines.slice(1).join("\n")).toMatch(/np's Nomad test double/);
  });

  it('with 2 of 3 servers up there is no leader: consistent reads fail like Nomad, stale reads give ""', async () => {
    start(servers[0]);
    start(servers[1]);
    await until("both servers to see each other", async () =>
      (await aliveServers("127.0.0.21")) === 2 && (await aliveServers("127.0.0.22")) === 2 ? true : undefined,
    );
    const stale = await api("127.0.0.21", "/v1/status/leader?stale");
    expect([stale.status, stale.body]).toEqual([200, ""]);
    expect((await api("127.0.0.22", "/v1/status/peers?stale")).body).toEqual([]);
    const leader = await api("127.0.0.21", "/v1/status/leader");
    expect([leader.status, leader.text]).toEqual([500, "No cluster leader"]);
    expect(leader.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const ap = await api("127.0.0.22", "/v1/operator/autopilot/health");
    expect([ap.status, ap.text]).toEqual([500, "No cluster leader"]);
    const health = await api("127.0.0.21", "/v1/agent/health");
    expect(health.status).toBe(500);
    expect(JSON.parse(health.text)).toEqual({ server: { ok: false, message: "No cluster leader" } });
    expect(servers[0].output).toContain("bootstrap_expect > 0: expecting 3 servers");
  });

  it("elects one leader, agreed by every server, once the third server joins", async () => {
    start(servers[2]);
    const leader = await until("a leader agreed by all three servers", async () => {
      const seen = await Promise.all(servers.map((s) => leaderOf(s.ip)));
      return seen[0] && seen.every((l) => l === seen[0]) ? seen[0] : undefined;
    });
    expect(leader).toMatch(/^127\.0\.0\.2[123]:4647$/);
    const elected = servers.find((s) => leader.startsWith(`${s.ip}:`));
    expect(elected?.output).toContain("cluster leadership acquired");
    const peers = await doc("127.0.0.23", "/v1/status/peers");
    expect([...peers].sort()).toEqual(["127.0.0.21:4647", "127.0.0.22:4647", "127.0.0.23:4647"]);
  });

  it("registers the client as a ready node with a stable ID from data_dir, class, pool and meta", async () => {
    start(client);
    const node = await until("node4 to be ready", async () => {
      const list = await doc("127.0.0.21", "/v1/nodes");
      return list.find((n: { Name: string; Status: string }) => n.Name === "node4" && n.Status === "ready");
    });
    const idFile = readFileSync(path.join(client.dir, "data/client/client-id"), "utf8").trim();
    expect(node).toMatchObject({
      ID: idFile,
      Address: "127.0.0.24",
      Datacenter: "dc1",
      NodeClass: "web",
      NodePool: "default",
      Version: VERSION,
      Drivers: {},
    });
    const full = await doc("127.0.0.22", `/v1/node/${idFile}`);
    expect(full.Meta.rack).toBe("r1");
    expect(full.HTTPAddr).toBe("127.0.0.24:4646");
    expect(full.Events[0]).toMatchObject({ Message: "Node registered", Subsystem: "Cluster" });
  });

  it("answers every endpoint with the keys of the Nomad API samples", async () => {
    const s = "127.0.0.21";
    const raft = await doc(s, "/v1/operator/raft/configuration");
    expect(keys(raft)).toEqual(SAMPLE.raft);
    expect(raft.Servers).toHaveLength(3);
    for (const srv of raft.Servers) {
      expect(keys(srv)).toEqual(SAMPLE.raftServer);
      expect(srv).toMatchObject({
        Voter: true,
        RaftProtocol: "3",
        Node: expect.stringMatching(/^node\d\.global$/),
      });
    }
    expect(raft.Servers.filter((x: { Leader: boolean }) => x.Leader)).toHaveLength(1);

    const ap = await doc(s, "/v1/operator/autopilot/health");
    expect(keys(ap)).toEqual(SAMPLE.autopilot);
    for (const srv of ap.Servers) expect(keys(srv)).toEqual(SAMPLE.autopilotServer);

    const members = await doc(s, "/v1/agent/members");
    expect(keys(members)).toEqual(SAMPLE.members);
    expect(members).toMatchObject({ ServerName: "node1", ServerRegion: "global", ServerDC: "dc1" });
    for (const m of members.Members) {
      expect(keys(m)).toEqual(SAMPLE.member);
      expect(m).toMatchObject({ Port: 4648, Status: "alive", Name: expect.stringMatching(/\.global$/) });
      expect(m.Tags).toMatchObject({
        role: "nomad",
        region: "global",
        dc: "dc1",
        build: VERSION,
        port: "4647",
      });
      expect(m.Tags).toMatchObject({ vsn: "1", raft_vsn: "3", expect: "3", rpc_addr: m.Addr });
      expect(m.Tags.id).toMatch(/^[0-9a-f-]{36}$/);
    }

    const self = await doc(s, "/v1/agent/self");
    expect(keys(self)).toEqual(SAMPLE.self);
    expect(keys(self.member)).toEqual(SAMPLE.member);
    expect(self.config.Version.Version).toBe(VERSION);
    expect(self.stats.nomad.server).toBe("true");
    expect((await doc(s, "/v1/agent/health")).server).toEqual({ ok: true, message: "ok" });
    expect(keys((await doc(s, "/v1/agent/health")).server)).toEqual(SAMPLE.health);

    const stubs = await doc(s, "/v1/nodes?os=true");
    for (const n of stubs) expect(keys(n)).toEqual(SAMPLE.nodeStub);
    expect(stubs[0].Attributes["os.name"]).toBeTruthy();
    expect(keys((await doc(s, "/v1/nodes"))[0])).toEqual(SAMPLE.nodeStub.filter((k) => k !== "Attributes"));
    const node = await doc(s, `/v1/node/${stubs[0].ID}`);
    for (const k of SAMPLE.node) expect(node, `node field ${k}`).toHaveProperty(k);
    expect(node.NodeResources.Cpu.CpuShares).toBeGreaterThan(0);
  });

  it("serves the same API on the client agent, forwarding server queries like Nomad clients do", async () => {
    const c = client.ip;
    expect(await leaderOf(c)).toBe(await leaderOf("127.0.0.21"));
    expect((await doc(c, "/v1/nodes")).map((n: { Name: string }) => n.Name)).toEqual(["node4"]);
    expect(keys(await doc(c, "/v1/operator/raft/configuration"))).toEqual(SAMPLE.raft);
    expect(await doc(c, "/v1/agent/health")).toEqual({ client: { ok: true, message: "ok" } });
    const self = await doc(c, "/v1/agent/self");
    expect(self.member.Status).toBe("none");
    expect(self.stats.client.node_id).toBe((await doc(c, "/v1/nodes"))[0].ID);
    expect((await doc(c, "/v1/agent/servers")).length).toBe(3);
  });

  it("sets Nomad's headers, gzips when asked and answers errors in plain text like Nomad", async () => {
    const s = "127.0.0.22";
    const nodes = await api(s, "/v1/nodes");
    expect(nodes.headers.get("content-type")).toBe("application/json");
    expect(nodes.headers.get("x-np-double")).toBe("nomad");
    expect(Number(nodes.headers.get("x-nomad-index"))).toBeGreaterThan(0);
    expect(nodes.headers.get("x-nomad-knownleader")).toBe("true");
    expect(nodes.headers.get("x-nomad-lastcontact")).toMatch(/^\d+$/);

    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      const req = request({
        host: s,
        port: 4646,
        path: "/v1/status/peers",
        headers: { "accept-encoding": "gzip" },
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () =>
          resolve({ encoding: res.headers["content-encoding"], body: Buffer.concat(chunks) }),
        );
      });
      req.on("error", reject);
      req.end();
    });
    expect(raw.encoding).toBe("gzip");
    expect(raw.body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));

    const unknown = await api(s, "/v1/no/such/endpoint");
    expect([unknown.status, unknown.text]).toEqual([404, ""]);
    const wrongMethod = await api(s, "/v1/status/leader", "DELETE");
    expect([wrongMethod.status, wrongMethod.text]).toEqual([405, "Invalid method"]);
    expect(wrongMethod.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const missing = await api(s, "/v1/node/00000000-0000-0000-0000-000000000000");
    expect([missing.status, missing.text]).toEqual([404, "node not found"]);
    expect((await api(s, "/v1/nodes?index=1&wait=soon")).text).toBe("Invalid wait time");
    expect((await api(s, "/v1/status/leader?region=mars")).text).toBe("No path to region");
    expect((await api(s, "/v1/volumes")).status).toBe(501);
  });

  it("without an acl block: ACL endpoints say `ACL support disabled`, WhoAmI the ACLs-disabled token", async () => {
    for (const [p, method] of [
      ["/v1/acl/bootstrap", "POST"],
      ["/v1/acl/policies", "GET"],
      ["/v1/acl/tokens", "GET"],
    ]) {
      const r = await api("127.0.0.22", p, method);
      expect([p, r.status, r.text]).toEqual([p, 400, "ACL support disabled"]);
    }
    const self = await doc(client.ip, "/v1/acl/token/self");
    expect(self).toMatchObject({ AccessorID: "acls-disabled", Name: "ACLs disabled token", Type: "client" });
    expect((await doc("127.0.0.21", "/v1/agent/self")).config.ACL.Enabled).toBe(false);
    expect((await doc("127.0.0.21", "/v1/agent/self")).config.TLSConfig).toMatchObject({
      EnableHTTP: false,
      EnableRPC: false,
    });
  });

  it("holds a blocking query until ?wait= when nothing changes", async () => {
    const first = await api("127.0.0.23", "/v1/nodes");
    const index = first.headers.get("x-nomad-index");
    const t0 = Date.now();
    const again = await api("127.0.0.23", `/v1/nodes?index=${index}&wait=1200ms`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1100);
    expect(again.headers.get("x-nomad-index")).toBe(index);
  });

  it("reports a healthy cluster once stable: HTTP 200, FailureTolerance 1, Leader and Voters", async () => {
    // servers count healthy only after server_stabilization_time (2s here) up
    const r = await until("the servers to be stable", async () => {
      const x = await api("127.0.0.21", "/v1/operator/autopilot/health");
      return x.status === 200 ? x : undefined;
    });
    expect(r.status).toBe(200);
    const h = r.body as { Healthy: boolean; FailureTolerance: number; Leader: string; Voters: string[] };
    expect([h.Healthy, h.FailureTolerance, h.Voters.length]).toEqual([true, 1, 3]);
    const raft = await doc("127.0.0.21", "/v1/operator/raft/configuration");
    expect(h.Leader).toBe(raft.Servers.find((x: { Leader: boolean }) => x.Leader).ID);
  });

  let stopped: Member;
  let stoppedId: string;
  let stoppedAt = 0;
  it("loses one server (the leader): 429, FailureTolerance 0, a new leader, the member failed", async () => {
    const leader = (await leaderOf("127.0.0.21")) as string;
    stopped = servers.find((s) => leader.startsWith(`${s.ip}:`)) as Member;
    const raft = await doc(stopped.ip, "/v1/operator/raft/configuration");
    stoppedId = raft.Servers.find((x: { Address: string }) => x.Address === leader).ID;
    // Like Nomad without leave_on_interrupt, SIGINT stops the agent at once with exit status 1.
    expect(await stop(stopped, "SIGINT")).toBe(1);
    stoppedAt = Date.now();
    expect(stopped.output).toContain("Caught signal: interrupt");
    const survivor = servers.find((s) => s !== stopped) as Member;
    const h = await until("autopilot to report the loss", async () => {
      const r = await api(survivor.ip, "/v1/operator/autopilot/health");
      return r.status === 429 ? r : undefined;
    });
    const body = h.body as { Healthy: boolean; FailureTolerance: number; Servers: object[] };
    expect([body.Healthy, body.FailureTolerance, body.Servers.length]).toEqual([false, 0, 3]);
    // Like Raft, a follower names the dead leader until it notices; then the survivors elect another.
    const newLeader = await until("a new leader", async () => {
      const l = await leaderOf(survivor.ip);
      return l && l !== leader ? l : undefined;
    });
    const after = await api(survivor.ip, "/v1/operator/autopilot/health");
    const ids = await doc(survivor.ip, "/v1/operator/raft/configuration");
    const newId = ids.Servers.find((x: { Address: string }) => x.Address === newLeader).ID;
    expect([after.status, (after.body as { Leader: string }).Leader]).toEqual([429, newId]);
    const members = await doc(survivor.ip, "/v1/agent/members");
    const gone = members.Members.find((m: { Addr: string }) => m.Addr === stopped.ip);
    expect(gone.Status).toBe("failed");
    // the stopped server is unhealthy, its StableSince set to the flip (after the stop, not before)
    const dead = (
      after.body as { Servers: { ID: string; Healthy: boolean; StableSince: string }[] }
    ).Servers.find((x) => x.ID === stoppedId);
    expect(dead?.Healthy).toBe(false);
    expect(Date.parse(dead?.StableSince ?? "")).toBeGreaterThanOrEqual(stoppedAt - 1000);
  });

  it("takes the restarted server back with its persisted ID: healthy after server_stabilization_time", async () => {
    const startedAt = Date.now();
    start(stopped);
    type Srv = { ID: string; Healthy: boolean; SerfStatus: string; StableSince: string };
    // alive again but not yet stable: still unhealthy (429) while the 2s stabilization runs
    const early = await until("the restarted server to be alive", async () => {
      const r = await api("127.0.0.21", "/v1/operator/autopilot/health");
      const me = (r.body as { Servers: Srv[] }).Servers.find((x) => x.ID === stoppedId);
      return me?.SerfStatus === "alive" ? { r, me } : undefined;
    });
    if (Date.now() - startedAt < 1500) expect([early.r.status, early.me.Healthy]).toEqual([429, false]);
    const h = await until("the cluster to be healthy again", async () => {
      const r = await api("127.0.0.21", "/v1/operator/autopilot/health");
      return r.status === 200
        ? (r.body as { FailureTolerance: number; Servers: { ID: string }[] })
        : undefined;
    });
    expect(h.FailureTolerance).toBe(1);
    expect(h.Servers.map((s) => s.ID)).toContain(stoppedId);
    const back = (h as unknown as { Servers: Srv[] }).Servers.find((x) => x.ID === stoppedId) as Srv;
    // healthy no sooner than 2s after it came up, with a new StableSince (the flip to healthy)
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2000);
    expect(Date.parse(back.StableSince)).toBeGreaterThanOrEqual(startedAt + 1000);
    expect(readFileSync(path.join(stopped.dir, "data/server/node-id"), "utf8").trim()).toBe(stoppedId);
  });

  it("marks the client down when it stops, waking a blocking query on the change", async () => {
    const first = await api("127.0.0.22", "/v1/nodes");
    const index = Number(first.headers.get("x-nomad-index"));
    const t0 = Date.now();
    const blocked = api("127.0.0.22", `/v1/nodes?index=${index}&wait=60s`);
    await stop(client, "SIGTERM");
    const r = await blocked;
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(Number(r.headers.get("x-nomad-index"))).toBeGreaterThan(index);
    expect((r.body as { Status: string }[])[0].Status).toBe("down");
  });

  it("keeps the raft peer set in data_dir: two of three restarted servers elect a leader without bootstrapping", async () => {
    for (const s of servers) await stop(s, "SIGKILL");
    start(servers[0]);
    start(servers[1]);
    const leader = await until("a leader among the two restarted servers", () => leaderOf("127.0.0.22"));
    expect(["127.0.0.21:4647", "127.0.0.22:4647"]).toContain(leader);
    expect((await doc("127.0.0.21", "/v1/status/peers")).length).toBe(3);
    const nodes = await doc("127.0.0.21", "/v1/nodes");
    expect(nodes.map((n: { Name: string }) => n.Name)).toEqual(["node4"]);
  });

  it("removes a server that leaves cleanly (leave_on_interrupt, from a second file in the config dir)", async () => {
    const third = servers[2];
    writeFileSync(path.join(third.dir, "etc", "zz-leave.hcl"), "leave_on_interrupt = true\n");
    start(third);
    await until("three alive voters", async () => {
      const r = await api("127.0.0.21", "/v1/operator/autopilot/health");
      return r.status === 200 && (r.body as { Voters: string[] }).Voters.length === 3 ? true : undefined;
    });
    expect(await stop(third, "SIGINT")).toBe(0);
    expect(third.output).toContain("Gracefully shutting down agent...");
    const peers = await until("the peer set to drop the server that left", async () => {
      const p = await doc("127.0.0.21", "/v1/status/peers");
      return p.length === 2 ? p : undefined;
    });
    expect(peers).not.toContain("127.0.0.23:4647");
    const members = await doc("127.0.0.22", "/v1/agent/members");
    expect(members.Members.find((m: { Addr: string }) => m.Addr === third.ip).Status).toBe("left");
    const h = await api("127.0.0.22", "/v1/operator/autopilot/health");
    expect([h.status, (h.body as { FailureTolerance: number }).FailureTolerance]).toEqual([200, 0]);
  });

  it("its key lists match the reference samples", () => {
    const read = (f: string) => JSON.parse(readFileSync(path.join(REFERENCE, f), "utf8"));
    const raft = read("operator-raft__read-raft-configuration__sample-response.json");
    expect([keys(raft), keys(raft.Servers[0])]).toEqual([SAMPLE.raft, SAMPLE.raftServer]);
    const ap = read("operator-autopilot__read-health__sample-response.fixed.json");
    expect([keys(ap), keys(ap.Servers[0])]).toEqual([SAMPLE.autopilot, SAMPLE.autopilotServer]);
    const members = read("agent__list-members__sample-response.json");
    expect([keys(members), keys(members.Members[0])]).toEqual([SAMPLE.members, SAMPLE.member]);
    const self = read("agent__query-self__sample-response.json");
    expect([keys(self), keys(self.member)]).toEqual([SAMPLE.self, SAMPLE.member]);
    expect(keys(read("agent__health__sample-response.json").server)).toEqual(SAMPLE.health);
    expect(keys(read("nodes__list-nodes__sample-response.json")[0])).toEqual(SAMPLE.nodeStub);
    expect(keys(read("nodes__read-node__sample-response.fixed.json"))).toEqual(SAMPLE.node);
  });
});

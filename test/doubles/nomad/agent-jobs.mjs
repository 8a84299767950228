// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): what the agent does with jobs. On servers: the job
// store (persisted in data_dir/server/np-double-jobs.json, gossiped by the leader to followers), the leader's
// eval broker/scheduler/deployment-watcher loop, the Node.GetClientAllocs / Node.UpdateAlloc RPCs (blocking, like
// nomad/node_endpoint.go). On clients: the alloc sync loop (client/client.go watchAllocations / allocSync) that
// runs allocations with allocs.mjs and reports their status back, batched every 200 ms.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { AllocRunner } from "./allocs.mjs";
import { allocOut } from "./api.mjs";
import { watchDeployments } from "./deployments.mjs";
import { DESC, processEval } from "./scheduler.mjs";
import { JobStore, terminal } from "./store.mjs";

const nowNs = () => Date.now() * 1e6;

/** Drivers a client fingerprints (client/fingerprint + drivers/*: Detected/Healthy/HealthDescription). */
export function fingerprintDrivers(raw) {
  const t = new Date().toISOString();
  const info = (ok, desc, attrs) => ({
    Attributes: ok ? attrs : null,
    Detected: ok,
    Healthy: ok,
    HealthDescription: desc,
    UpdateTime: t,
  });
  const rawExec =
    raw.plugin?.raw_exec?.config?.enabled === true || raw.client?.options?.["driver.raw_exec.enable"] === "1";
  const drivers = {};
  if (rawExec) drivers.raw_exec = info(true, "Healthy", { "driver.raw_exec": "true" });
  const root = process.getuid?.() === 0;
  drivers.exec = root
    ? info(true, "Healthy", { "driver.exec": "true" })
    : { ...info(false, "exec driver must run as root", null), Detected: true };
  let docker = false;
  if (fs.existsSync("/usr/bin/docker")) {
    try {
      execFileSync("/usr/bin/docker", ["version", "--format", "{{.Server.Version}}"], {
        timeout: 3000,
        stdio: "pipe",
      });
      docker = true;
    } catch {}
  }
  drivers.docker = docker
    ? info(true, "Healthy", { "driver.docker": "true" })
    : info(false, "Failed to connect to docker daemon", null);
  return drivers;
}

/** Server side: sets up the store on `agent` and loads what data_dir holds. */
export function initJobServer(agent) {
  agent.jobsFile = path.join(agent.cfg.dataDir, "server/np-double-jobs.json");
  agent.store = new JobStore(agent.fsm, () => {
    agent.saveJobsSoon();
    agent.notify();
    agent.kick();
  });
  try {
    agent.store.load(JSON.parse(fs.readFileSync(agent.jobsFile, "utf8")));
  } catch {}
}

/** Methods mixed into the Agent (nomad-double.mjs). */
export const jobMethods = {
  saveJobsSoon() {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      try {
        fs.mkdirSync(path.dirname(this.jobsFile), { recursive: true, mode: 0o700 });
        fs.writeFileSync(`${this.jobsFile}.tmp`, JSON.stringify(this.store.toJSON()), { mode: 0o600 });
        fs.renameSync(`${this.jobsFile}.tmp`, this.jobsFile);
      } catch {}
      this.saveRaft();
    }, 50);
  },
  /** Runs the leader's job work soon (debounced). */
  kick() {
    if (!this.cfg.server.enabled || this.kicked || this.closed) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.leaderJobWork();
    });
  },
  schedulableNodes() {
    return [...this.fsm.nodes.values()].filter((n) => n.info);
  },
  /** Eval broker + workers + deployment watcher, on the leader only. */
  leaderJobWork() {
    if (this.leader !== this.rpcAddr || this.closed) return;
    const store = this.store;
    let changed = false;
    for (let round = 0; round < 20; round++) {
      const due = [...store.evals.values()].filter(
        (e) => e.Status === "pending" && e._at && e._at <= Date.now(),
      );
      const ids = [...new Set([...(store.pendingEvals ?? []), ...due.map((e) => e.ID)])];
      store.pendingEvals = [];
      for (const id of ids) {
        const ev = store.evals.get(id);
        if (ev?.Status !== "pending" || (ev._at && ev._at > Date.now())) continue;
        processEval(store, ev, this.schedulableNodes());
        changed = true;
      }
      const watched = watchDeployments(store);
      changed ||= watched;
      if (!watched && !store.pendingEvals.length) break;
    }
    for (const j of store.jobs.values()) store.refreshJobStatus(j.ID);
    if (changed) {
      this.saveJobsSoon();
      this.notify();
    }
  },
  /** Capacity changed (a node came or went, allocs stopped): blocked evals run again (blocked_evals.go). */
  unblockEvals() {
    for (const ev of this.store.evals.values()) {
      if (ev.Status !== "blocked") continue;
      processEval(this.store, ev, this.schedulableNodes());
      if (ev.Status !== "blocked") ev.StatusDescription = ev.StatusDescription || "";
    }
    this.store.changed();
  },
  /** A node went down: its allocs are lost and replaced (node-update evals). */
  nodeDown(nodeId) {
    const jobs = new Set();
    for (const a of this.store.allocs.values()) {
      if (a.NodeID !== nodeId || terminal(a)) continue;
      a.ClientStatus = "lost";
      a.DesiredStatus = "stop";
      a.DesiredDescription = DESC.lost;
      a.ModifyIndex = this.store.write("allocs");
      a.ModifyTime = nowNs();
      jobs.add(a.JobID);
    }
    for (const id of jobs) {
      const job = this.store.jobs.get(id);
      if (job) this.store.newEval(job, "node-update", { NodeID: nodeId });
    }
    if (jobs.size) this.store.changed();
  },

  // ---------------- RPCs (answered by the leader; followers forward)
  async jobRpc(method, args) {
    if (this.leader !== this.rpcAddr) {
      if (!this.leader) throw new Error("No cluster leader");
      const { postJson } = this.transport;
      return postJson(this.leader, "/np-double/v1/rpc", { method, args }, 30000);
    }
    if (method === "Node.UpdateAlloc") {
      const changed = this.store.clientUpdate(args.allocs);
      if (changed.some((a) => terminal(a))) this.unblockEvals();
      return { index: this.fsm.index };
    }
    if (method === "Node.GetClientAllocs") {
      const current = () =>
        Math.max(
          0,
          ...[...this.store.allocs.values()]
            .filter((a) => a.NodeID === args.nodeId)
            .map((a) => a.ModifyIndex),
        );
      const deadline = Date.now() + Math.min(args.wait ?? 5000, 10000);
      while (current() <= (args.index ?? 0) && Date.now() < deadline && !this.closed)
        await this.changed(deadline - Date.now());
      const allocs = [...this.store.allocs.values()]
        .filter((a) => a.NodeID === args.nodeId)
        .map((a) => allocOut(this.store, a));
      return { index: current(), allocs };
    }
    throw new Error(`rpc: can't find method ${method}`);
  },

  // ---------------- client side
  initJobClient() {
    this.runners = new Map();
    this.allocIndex = 0;
    this.dirtyAllocs = new Set();
    this.allocDir = path.join(this.cfg.dataDir, "alloc");
  },
  /** Calls a server RPC from the client (in-process when the agent is also a server). */
  async clientRpc(method, args) {
    if (this.cfg.server.enabled) return this.jobRpc(method, args);
    const { postJson } = this.transport;
    let last;
    for (const t of this.clientTargets()) {
      try {
        return await postJson(t, "/np-double/v1/rpc", { method, args }, (args.wait ?? 0) + 15000);
      } catch (e) {
        last = e;
      }
    }
    throw last ?? new Error("no servers");
  },
  async allocLoop() {
    while (!this.closed) {
      try {
        if (!this.registered) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        const r = await this.clientRpc("Node.GetClientAllocs", {
          nodeId: this.nodeId,
          index: this.allocIndex,
          wait: 5000,
        });
        this.allocIndex = r.index;
        this.syncAllocs(r.allocs);
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  },
  syncAllocs(allocs) {
    for (const a of allocs) {
      const runner = this.runners.get(a.ID);
      if (!runner) {
        if (terminal(a) || a.ClientStatus !== "pending") continue;
        const node = { ...this.nodeInfo(), ID: this.nodeId, Region: this.cfg.region };
        const r = new AllocRunner({
          alloc: a,
          node,
          allocDir: this.allocDir,
          consulAddr: this.cfg.consulAddr,
          consulToken: this.cfg.consulToken,
          report: (x) => this.allocChanged(x),
          log: (lvl, sub, msg, f) => this.log?.(lvl, sub, msg, f),
        });
        this.runners.set(a.ID, r);
        r.start();
      } else if (a.DesiredStatus !== "run") runner.stop(a.DesiredTransition?.NoShutdownDelay === true);
    }
  },
  allocChanged(runner) {
    this.dirtyAllocs.add(runner.alloc.ID);
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => this.pushAllocs(), 200);
  },
  async pushAllocs() {
    this.syncTimer = null;
    const ids = [...this.dirtyAllocs];
    this.dirtyAllocs.clear();
    const allocs = ids.map((id) => this.runners.get(id)?.update()).filter(Boolean);
    if (!allocs.length) return;
    try {
      await this.clientRpc("Node.UpdateAlloc", { allocs });
    } catch {
      for (const id of ids) this.dirtyAllocs.add(id);
      if (!this.closed) this.syncTimer = setTimeout(() => this.pushAllocs(), 1000);
    }
  },
  /** On shutdown a client leaves its tasks running (Nomad does too): only timers stop here. */
  stopJobClient() {
    clearTimeout(this.syncTimer);
  },
};

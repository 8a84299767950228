// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the client's alloc runner, after
// client/allocrunner/alloc_runner.go (client status from task states: getClientStatus texts), groupservice_hook.go
// and command/agent/consul/service_client.go (services registered in the REAL local Consul agent with IDs
// `_nomad-task-<alloc>-<group-<group>|task>-<service>-<port label>`, Meta external-source=nomad, the HTTP check
// on http://<ip>:<port><path>; deregistered before shutdown_delay) and client/allochealth/tracker.go (deployment
// health: every task running and every check passing for MinHealthyTime, unhealthy at HealthyDeadline or when a
// task fails; "task_states" ignores checks).
import { createHash } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { goDur, TaskRunner } from "./tasks.mjs";

/**
 * Calls the local Consul agent's HTTP API; resolves {status, body}. `token` is the agent's `consul.token`, which
 * Nomad 1.10.5 uses for a workload's services when they have no workload identity (neither a service `identity`
 * block nor the servers' `consul.service_identity`):
 * - nomad/job_endpoint_hook_implicit_identities.go handleConsulService: no identity found, "fallback to the legacy
 *   flow" (the service keeps Identity nil);
 * - client/allocrunner/consul_hook.go prepareConsulTokensForServices: a service with Identity nil gets no token;
 * - client/allocrunner/group_service_hook.go and taskrunner/service_hook.go: Workload.Tokens then has no entry;
 * - command/agent/consul/service_client.go sync: ServiceRegisterOpts{Token: getServiceToken(id)} (""), checks with
 *   QueryOptions{Token: ""}; deregistrations and reads "have to use the Nomad agent's own Consul token";
 * - consul/api agent.go serviceRegister sets X-Consul-Token only when opts.Token != "", and api.go newRequest sets
 *   the client's config Token, which command/agent/agent.go setupConsuls takes from ConsulConfig.ApiConfig
 *   (nomad/structs/config/consul.go: `token`).
 * So every call here carries the agent's token. Per-service tokens from workload identities are not modelled.
 */
export function consulCall(addr, method, p, body, token = "") {
  const u = new URL(/^https?:\/\//.test(addr) ? addr : `http://${addr}`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port || 8500,
        path: p,
        method,
        agent: false,
        headers: { "content-type": "application/json", ...(token ? { "X-Consul-Token": token } : {}) },
      },
      (res) => {
        const chunks = [];
        res.on("data", (d) => chunks.push(d));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error("consul request timed out")));
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** client.getClientStatus (alloc_runner.go). */
export function clientStatus(states) {
  const list = Object.values(states);
  if (list.some((s) => s.State === "dead" && s.Failed)) return ["failed", "Failed tasks"];
  if (list.some((s) => s.State === "running")) return ["running", "Tasks are running"];
  if (list.some((s) => s.State === "pending")) return ["pending", "No tasks have started"];
  if (list.length && list.every((s) => s.State === "dead")) return ["complete", "All tasks have completed"];
  return ["pending", ""];
}

export class AllocRunner {
  constructor({ alloc, node, allocDir, consulAddr, consulToken = "", report, log }) {
    Object.assign(this, { alloc, node, consulAddr, consulToken, report, log });
    this.job = alloc.Job;
    this.tg = this.job.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
    this.dir = path.join(allocDir, alloc.ID);
    this.dirs = { shared: path.join(this.dir, "alloc"), logs: path.join(this.dir, "alloc", "logs") };
    this.services = [];
    this.health = null; // {Healthy, Timestamp} once decided
    this.stopping = false;
  }

  start() {
    const restartOnSuccess = this.job.Type === "service" || this.job.Type === "system";
    this.tasks = new Map();
    for (const task of this.tg.Tasks) {
      const tr = new TaskRunner({
        alloc: this.alloc,
        job: this.job,
        tg: this.tg,
        task,
        node: this.node,
        dirs: { ...this.dirs, task: path.join(this.dir, task.Name) },
        report: () => this.changed(),
        restartOnSuccess,
      });
      tr.onStarted = () => this.registerTaskServices(task);
      tr.exitedHook = () => this.deregister((s) => s.task === task.Name);
      tr.onDead = () => this.onTaskDead(task);
      this.tasks.set(task.Name, tr);
    }
    this.registerGroupServices();
    for (const tr of this.tasks.values()) tr.start();
    if (this.alloc.DeploymentID) this.trackHealth();
  }

  taskStates() {
    return Object.fromEntries([...this.tasks].map(([n, tr]) => [n, { ...tr.state, TaskHandle: null }]));
  }
  /** The Node.UpdateAlloc payload for this alloc. */
  update() {
    const states = this.taskStates();
    const [status, desc] = clientStatus(states);
    return {
      ID: this.alloc.ID,
      ClientStatus: status,
      ClientDescription: desc,
      TaskStates: states,
      DeploymentStatus: this.health,
      NetworkStatus: null,
    };
  }
  changed() {
    this.report(this);
  }

  onTaskDead(task) {
    // a failed task kills its siblings (Sibling Task Failed), like the alloc runner's task coordinator
    const tr = this.tasks.get(task.Name);
    if (tr.state.Failed) for (const other of this.tasks.values()) if (other !== tr) other.kill(true);
    if ([...this.tasks.values()].every((t) => t.state.State === "dead")) this.deregister(() => true);
    this.changed();
  }

  // ---------------- Consul services (service_client.go)
  port(label) {
    return (this.alloc.AllocatedResources?.Shared?.Ports ?? []).find((p) => p.Label === label);
  }
  serviceBody(svc, owner, task) {
    const port = this.port(svc.PortLabel);
    const ip = port?.HostIP ?? this.node.Address;
    const id = `_nomad-task-${this.alloc.ID}-${owner}-${svc.Name}-${svc.PortLabel}`;
    const checks = (svc.Checks ?? []).map((c) => {
      const cp = c.PortLabel ? this.port(c.PortLabel) : port;
      const hash = createHash("sha1")
        .update(JSON.stringify([id, c.Name, c.Type, c.Path, c.Interval, c.Timeout, c.PortLabel]))
        .digest("hex");
      const check = {
        CheckID: `_nomad-check-${hash}`,
        Name: c.Name,
        Interval: goDur(c.Interval / 1e6),
        Timeout: goDur(c.Timeout / 1e6),
        Status: c.InitialStatus || "critical",
      };
      if (c.Type === "http") {
        check.HTTP = `${c.Protocol || "http"}://${joinHostPort(cp?.HostIP ?? ip, cp?.Value ?? 0)}${c.Path}`;
        if (c.Method) check.Method = c.Method;
        if (c.Header) check.Header = c.Header;
        check.TLSSkipVerify = c.TLSSkipVerify;
      } else if (c.Type === "tcp") check.TCP = joinHostPort(cp?.HostIP ?? ip, cp?.Value ?? 0);
      else if (c.Type === "grpc") check.GRPC = joinHostPort(cp?.HostIP ?? ip, cp?.Value ?? 0);
      if (c.SuccessBeforePassing) check.SuccessBeforePassing = c.SuccessBeforePassing;
      if (c.FailuresBeforeCritical) check.FailuresBeforeCritical = c.FailuresBeforeCritical;
      return check;
    });
    return {
      body: {
        ID: id,
        Name: svc.Name,
        Tags: svc.Tags ?? [],
        Address: ip,
        Port: port?.Value ?? 0,
        Meta: { "external-source": "nomad", ...(svc.Meta ?? {}) },
        EnableTagOverride: svc.EnableTagOverride,
        Checks: checks,
      },
      id,
      checks: checks.map((c) => c.CheckID),
      task,
    };
  }
  async registerOne(s) {
    try {
      const r = await consulCall(
        this.consulAddr,
        "PUT",
        "/v1/agent/service/register",
        s.body,
        this.consulToken,
      );
      if (r.status !== 200) throw new Error(`Unexpected response code: ${r.status} (${r.body})`);
      this.services.push(s);
    } catch (e) {
      this.log("ERROR", "consul.sync", "failed to update services in Consul", { error: e.message });
    }
  }
  registerGroupServices() {
    this.pendingRegs = (this.tg.Services ?? [])
      .filter((s) => s.Provider === "consul")
      .map((s) => this.registerOne(this.serviceBody(s, `group-${this.tg.Name}`, null)));
  }
  registerTaskServices(task) {
    for (const s of task.Services ?? [])
      if (s.Provider === "consul") this.registerOne(this.serviceBody(s, task.Name, task.Name));
  }
  async deregister(which) {
    await Promise.allSettled(this.pendingRegs ?? []);
    const gone = this.services.filter(which);
    this.services = this.services.filter((s) => !gone.includes(s));
    await Promise.allSettled(
      gone.map((s) =>
        consulCall(
          this.consulAddr,
          "PUT",
          `/v1/agent/service/deregister/${encodeURIComponent(s.id)}`,
          undefined,
          this.consulToken,
        ),
      ),
    );
  }

  // ---------------- deployment health (allochealth/tracker.go)
  async trackHealth() {
    const upd = this.tg.Update;
    if (!upd) return;
    const deadline = Date.now() + upd.HealthyDeadline / 1e6;
    const minHealthy = upd.MinHealthyTime / 1e6;
    let healthySince = 0;
    const set = (ok) => {
      if (this.health || this.stopping) return;
      this.health = { Healthy: ok, Timestamp: new Date().toISOString(), Canary: false, ModifyIndex: 0 };
      this.changed();
    };
    while (!this.health && !this.stopping) {
      const states = [...this.tasks.values()].map((t) => t.state);
      if (states.some((s) => s.State === "dead" && s.Failed)) return set(false);
      let ok = states.every((s) => s.State === "running");
      if (ok && upd.HealthCheck === "checks") ok = await this.checksPassing();
      if (upd.HealthCheck === "manual") return;
      if (!ok) healthySince = 0;
      else if (!healthySince) healthySince = Date.now();
      if (healthySince && Date.now() - healthySince >= minHealthy) return set(true);
      if (Date.now() >= deadline) return set(false);
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(10, deadline - Date.now()))));
    }
  }
  async checksPassing() {
    const want = this.services.flatMap((s) => s.checks);
    const expected = [...(this.tg.Services ?? []), ...this.tg.Tasks.flatMap((t) => t.Services ?? [])].filter(
      (s) => s.Provider === "consul",
    );
    if (this.services.length < expected.length) return false;
    if (!want.length) return true;
    try {
      const r = await consulCall(this.consulAddr, "GET", "/v1/agent/checks", undefined, this.consulToken);
      const checks = JSON.parse(r.body);
      return want.every((id) => checks[id]?.Status === "passing");
    } catch {
      return false;
    }
  }

  // ---------------- stop (groupservice_hook PreKill: deregister, then wait the group shutdown_delay)
  async stop(noShutdownDelay = false) {
    if (this.stopping) return this.stopped;
    this.stopping = true;
    this.stopped = (async () => {
      await this.deregister((s) => s.task === null);
      const delay = (this.tg.ShutdownDelay ?? 0) / 1e6;
      if (delay > 0 && !noShutdownDelay) await new Promise((r) => setTimeout(r, delay));
      await Promise.all([...this.tasks.values()].map((t) => t.kill(noShutdownDelay)));
      await this.deregister(() => true);
      this.changed();
    })();
    return this.stopped;
  }
}

const joinHostPort = (h, p) => (h.includes(":") ? `[${h}]:${p}` : `${h}:${p}`);

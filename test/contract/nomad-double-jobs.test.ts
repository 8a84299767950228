// Contract test of np's Nomad double's job side: a 1-server + 2-client double cluster on loopback with a REAL
// Consul 1.8.7 dev agent; a tiny HTTP app (node) run by raw_exec; deployments healthy and failing (auto-revert),
// plan diffs, check-and-set, scale, log streams, blocking queries; every shape checked against the reference
// samples (test/fixtures) key by key and type by type.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConsulDev } from "../helpers/consul-dev.js";

const DOUBLE = fileURLToPath(new URL("../doubles/nomad-double.mjs", import.meta.url));
const FIX = fileURLToPath(new URL("../fixtures", import.meta.url));
const CONSUL = "/var/cache/np-test/consul-1.8.7/consul";
const fixture = (f: string) => JSON.parse(readFileSync(path.join(FIX, f), "utf8"));
const S = 1e9;

const haveConsul = existsSync(CONSUL);
if (!haveConsul && process.env.CI === "true")
  throw new Error(`${CONSUL} is missing (test/tools/fetch-consul.sh)`);
if (!haveConsul) console.warn(`skipping: ${CONSUL} is missing (run test/tools/fetch-consul.sh)`);

const root = mkdtempSync(path.join(tmpdir(), "np-nomad-jobs-"));
const procs: ChildProcess[] = [];
let consulPort = 0;
const ENV = { ...process.env, NOMAD_DOUBLE_GOSSIP_MS: "200", NOMAD_DOUBLE_NODE_TTL_MS: "3000" };
const SERVER = "127.0.0.31";

function agent(name: string, ip: string, server: boolean): void {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const role = server
    ? "server {\n  enabled = true\n  bootstrap_expect = 1\n}\n"
    : `client {\n  enabled = true\n  servers = ["${SERVER}"]\n  node_class = "web"\n}\nplugin "raw_exec" {\n  config {\n    enabled = true\n  }\n}\n`;
  const hcl = `name = "${name}"\ndata_dir = "${dir}/data"\nbind_addr = "${ip}"\n${role}consul {\n  address = "127.0.0.1:${consulPort}"\n}\n`;
  writeFileSync(path.join(dir, "nomad.hcl"), hcl);
  const p = spawn(process.execPath, [DOUBLE, "agent", "-config", path.join(dir, "nomad.hcl")], {
    env: ENV,
    stdio: "ignore",
  });
  procs.push(p);
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: API JSON under test
  body: any;
}
async function api(p: string, init: { method?: string; body?: unknown; host?: string } = {}): Promise<Reply> {
  const r = await fetch(`http://${init.host ?? SERVER}:4646${p}`, {
    method: init.method ?? "GET",
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: r.status, headers: r.headers, text, body };
}
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every key of the sample is in the double's object, with the same JSON type where both are non-null. */
function sameShape(sample: unknown, got: unknown, where = "$"): void {
  if (sample === null || got === null || typeof sample !== "object") {
    if (sample !== null && got !== null) expect(typeof got, where).toBe(typeof sample);
    return;
  }
  if (Array.isArray(sample)) {
    expect(Array.isArray(got), where).toBe(true);
    if (sample.length && (got as unknown[]).length)
      sameShape(sample[0], (got as unknown[])[0], `${where}[0]`);
    return;
  }
  expect(typeof got, where).toBe("object");
  for (const [k, v] of Object.entries(sample)) {
    expect(Object.keys(got as object), `${where} has ${k}`).toContain(k);
    // maps keyed by names (task groups, tasks, dimensions) are compared entry to entry
    const isMap = (o: object) => Object.keys(o).some((x) => !/^[A-Z][A-Za-z0-9]*$/.test(x));
    if (
      v &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      (isMap(v) || ["TaskGroups", "TaskStates", "DesiredTGUpdates", "Summary"].includes(k))
    ) {
      const a = Object.values(v as object)[0];
      const b = Object.values((got as Record<string, object>)[k] ?? {})[0];
      if (a && b) sameShape(a, b, `${where}.${k}.*`);
      continue;
    }
    sameShape(v, (got as Record<string, unknown>)[k], `${where}.${k}`);
  }
}

// The tiny app: answers /healthz (or not, when HEALTH=bad), prints a line per request and its port at start.
const APP = `const h=require("http");const bad=process.env.HEALTH==="bad";h.createServer((q,s)=>{if(q.url!=="/healthz")console.log("req "+q.url);if(q.url==="/healthz"&&!bad){s.end("ok")}else{s.statusCode=500;s.end("no")}}).listen(+process.env.NOMAD_PORT_http,process.env.NOMAD_IP_http,()=>console.log("listening on "+process.env.NOMAD_ADDR_http+" alloc "+process.env.NOMAD_ALLOC_ID+" "+process.env.GREETING));process.on("SIGINT",()=>{console.log("bye");process.exit(0)})`;

/** The reference raw_exec example, made runnable here with short health timings. */
function webJob(env: Record<string, string>, update: Record<string, unknown> = {}) {
  const j = fixture("nomad-job-examples/web-raw_exec.register.json");
  const job = j.Job;
  job.ID = "web";
  job.Name = "web";
  job.Update = {
    ...job.Update,
    MinHealthyTime: 1 * S,
    HealthyDeadline: 6 * S,
    ProgressDeadline: 0,
    ...update,
  };
  const tg = job.TaskGroups[0];
  tg.ShutdownDelay = 0.3 * S;
  tg.Services[0].Checks[0].Interval = 1 * S;
  tg.Services[0].Checks[0].Timeout = 1 * S;
  const task = tg.Tasks[0];
  task.Config = { command: process.execPath, args: ["-e", APP] };
  task.Env = { ...task.Env, ...env };
  task.Resources = { CPU: 100, MemoryMB: 64 };
  task.KillTimeout = 2 * S;
  return j;
}

describe.skipIf(!haveConsul)(
  "np's Nomad double: jobs, deployments, allocations and logs (real Consul 1.8.7)",
  () => {
    beforeAll(async () => {
      const dev = await startConsulDev({ binary: CONSUL, dataDir: path.join(root, "consul") });
      procs.push(dev.proc);
      consulPort = dev.port;
      agent("srv", SERVER, true);
      agent("c1", "127.0.0.32", false);
      agent("c2", "127.0.0.33", false);
      await until("two ready clients", async () => {
        const r = await api("/v1/nodes");
        return r.body?.filter((n: { Status: string }) => n.Status === "ready").length === 2 || undefined;
      });
    }, 90_000);

    afterAll(async () => {
      await api("/v1/job/web?purge=true", { method: "DELETE" }).catch(() => undefined);
      await api("/v1/job/nowhere?purge=true", { method: "DELETE" }).catch(() => undefined);
      await until(
        "no running allocs",
        async () => {
          const r = await api("/v1/allocations");
          return r.body?.every((a: { ClientStatus: string }) => a.ClientStatus !== "running") || undefined;
        },
        20_000,
      ).catch(() => undefined);
      for (const p of procs.reverse()) p.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    }, 60_000);

    let v0Allocs: string[] = [];
    it("registers the reference raw_exec job: register response, eval, 2 running allocs on 2 clients, healthy deployment", async () => {
      const r = await api("/v1/jobs", { method: "POST", body: webJob({ GREETING: "v0" }) });
      expect(r.status).toBe(200);
      sameShape(fixture("nomad-fixtures/jobs-register.response.json"), r.body);
      expect(Number(r.headers.get("x-nomad-index"))).toBe(r.body.EvalCreateIndex);
      const ev = await until("the eval to complete", async () => {
        const e = await api(`/v1/evaluation/${r.body.EvalID}`);
        return e.body?.Status === "complete" ? e.body : undefined;
      });
      sameShape(fixture("nomad-api/jobs__list-job-evaluations__sample-response.json")[0], ev);
      expect([ev.TriggeredBy, ev.FailedTGAllocs, ev.BlockedEval]).toEqual(["job-register", null, ""]);
      const d = await until(
        "the deployment to succeed",
        async () => {
          const x = await api("/v1/job/web/deployment");
          return x.body?.Status === "successful" ? x.body : undefined;
        },
        40_000,
      );
      sameShape(fixture("nomad-fixtures/deployment.successful.json"), d);
      expect([d.StatusDescription, d.JobVersion, d.TaskGroups.web.HealthyAllocs]).toEqual([
        "Deployment completed successfully",
        0,
        2,
      ]);
      const allocs = (await api("/v1/job/web/allocations")).body;
      sameShape(fixture("nomad-fixtures/job-allocations.response.json")[0], allocs[0]);
      expect(allocs.map((a: { ClientStatus: string }) => a.ClientStatus)).toEqual(["running", "running"]);
      expect(new Set(allocs.map((a: { NodeName: string }) => a.NodeName))).toEqual(new Set(["c1", "c2"]));
      expect(allocs[0].DeploymentStatus.Healthy).toBe(true);
      expect(
        allocs[0].TaskStates.web.Events.map((e: { DisplayMessage: string }) => e.DisplayMessage),
      ).toEqual(["Task received by client", "Building Task Directory", "Task started by client"]);
      v0Allocs = allocs.map((a: { ID: string }) => a.ID);
      const job = (await api("/v1/job/web")).body;
      expect([job.Status, job.Version, job.Stable, job.TaskGroups[0].Tasks[0].KillTimeout]).toEqual([
        "running",
        0,
        true,
        2 * S,
      ]);
      const list = (await api("/v1/jobs")).body;
      sameShape(fixture("nomad-api/jobs__list-jobs__sample-response.json")[0], list[0]);
      expect(list[0].JobSummary.Summary.web.Running).toBe(2);
    }, 60_000);

    it("registers the group service in the real Consul with Nomad's IDs, tags, port and HTTP check", async () => {
      const services = JSON.parse(
        await (await fetch(`http://127.0.0.1:${consulPort}/v1/agent/services`)).text(),
      );
      const checks = JSON.parse(await (await fetch(`http://127.0.0.1:${consulPort}/v1/agent/checks`)).text());
      const allocs = (await api("/v1/job/web/allocations")).body;
      for (const a of allocs) {
        const port = (await api(`/v1/allocation/${a.ID}`)).body.AllocatedResources.Shared.Ports[0];
        const svc = services[`_nomad-task-${a.ID}-group-web-web-http`];
        expect([svc.Service, svc.Port, svc.Address, svc.Meta["external-source"]]).toEqual([
          "web",
          port.Value,
          port.HostIP,
          "nomad",
        ]);
        expect(svc.Tags).toContain("traefik.http.routers.web.rule=Host(`web.example.com`)");
        expect(port.Value).toBeGreaterThanOrEqual(20000);
        const check = Object.values(checks).find(
          (c) => (c as { ServiceID: string }).ServiceID === svc.ID,
        ) as { CheckID: string; Name: string; Status: string };
        expect([check.Name, check.Status, check.CheckID.startsWith("_nomad-check-")]).toEqual([
          "web-http",
          "passing",
          true,
        ]);
      }
    });

    it("serves the node's allocations (np-agent) as full allocations with their job", async () => {
      const nodes = (await api("/v1/nodes")).body;
      const r = await api(`/v1/node/${nodes[0].ID}/allocations`);
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(1);
      expect([r.body[0].Job.ID, r.body[0].NodeID, r.body[0].TaskStates.web.State]).toEqual([
        "web",
        nodes[0].ID,
        "running",
      ]);
      expect(Number(r.headers.get("x-nomad-index"))).toBeGreaterThan(0);
    });

    it("streams logs through the server like Nomad: concatenated frames, base64 Data, Offset after Data; plain text; follow with {} heartbeats", async () => {
      const id = v0Allocs[0];
      const r = await api(`/v1/client/fs/logs/${id}?task=web&type=stdout`);
      expect(r.status).toBe(200);
      const frames = r.text
        .replace(/}{/g, "}\n{")
        .split("\n")
        .map((x) => JSON.parse(x));
      const data = Buffer.concat(
        frames.filter((f) => f.Data).map((f) => Buffer.from(f.Data, "base64")),
      ).toString();
      expect(data).toContain(`alloc ${id} v0`);
      const last = frames.filter((f) => f.Data).at(-1);
      expect([last.File, last.Offset]).toEqual(["alloc/logs/web.stdout.0", Buffer.byteLength(data)]);
      const plain = await api(`/v1/client/fs/logs/${id}?task=web&type=stdout&plain=true`);
      expect(plain.text).toBe(data);
      const end = await api(`/v1/client/fs/logs/${id}?task=web&type=stdout&plain=true&origin=end&offset=4`);
      expect(end.text).toBe(data.slice(-4));
      expect((await api(`/v1/client/fs/logs/${id}?task=web`)).text).toBe(
        "must provide log type (stdout/stderr)",
      );
      expect((await api(`/v1/client/fs/logs/${id}?type=stdout`)).text).toBe("must provide task name");
      // follow: a heartbeat frame within ~1s, then the new line the app prints when hit
      const ctl = new AbortController();
      const res = await fetch(
        `http://${SERVER}:4646/v1/client/fs/logs/${id}?task=web&type=stdout&follow=true&origin=end&offset=0`,
        { signal: ctl.signal },
      );
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let got = "";
      const port = (await api(`/v1/allocation/${id}`)).body.AllocatedResources.Shared.Ports[0];
      const deadline = Date.now() + 15_000;
      let hit = false;
      while (Date.now() < deadline && !(hit && got.includes("Data"))) {
        const { value } = await reader.read();
        got += Buffer.from(value ?? []).toString();
        if (got.includes("{}") && !hit) {
          hit = true;
          await fetch(`http://${port.HostIP}:${port.Value}/from-follow`);
        }
      }
      ctl.abort();
      const followed = got
        .replace(/}{/g, "}\n{")
        .split("\n")
        .map((x) => JSON.parse(x));
      expect(
        followed.some((f) => Object.keys(f).length === 0),
        got,
      ).toBe(true);
      expect(
        followed
          .filter((f) => f.Data)
          .map((f) => Buffer.from(f.Data, "base64").toString())
          .join(""),
        got,
      ).toContain("req /from-follow");
    }, 30_000);

    it("refuses a register whose JobModifyIndex is stale (EnforceIndex) with Nomad's text", async () => {
      const r = await api("/v1/jobs", {
        method: "POST",
        body: { ...webJob({ GREETING: "x" }), EnforceIndex: true, JobModifyIndex: 1 },
      });
      const cur = (await api("/v1/job/web")).body.JobModifyIndex;
      expect([r.status, r.text]).toEqual([
        500,
        `Enforcing job modify index 1: job exists with conflicting job modify index: ${cur}`,
      ]);
      const n = await api("/v1/jobs", {
        method: "POST",
        body: { ...webJob({}), EnforceIndex: true, JobModifyIndex: 0 },
      });
      expect(n.text).toBe("Enforcing job modify index 0: job already exists");
      const bad = await api("/v1/job/other", { method: "POST", body: webJob({}) });
      expect([bad.status, bad.text]).toEqual([400, "Job ID does not match name"]);
    });

    it("plans a change with Nomad's diff and annotations, changing nothing", async () => {
      const body = { ...webJob({ GREETING: "v1" }), Diff: true };
      const r = await api("/v1/job/web/plan", { method: "POST", body });
      expect(r.status).toBe(200);
      // the doc sample's Diff is not a real JobDiff (its Fields hold strings): the Diff is checked below instead
      sameShape({ ...fixture("nomad-api/jobs__create-job-plan__sample-response.json"), Diff: null }, r.body);
      expect(r.body.Annotations.DesiredTGUpdates.web).toMatchObject({
        DestructiveUpdate: 1,
        Ignore: 1,
        Place: 0,
      });
      const tg = r.body.Diff.TaskGroups[0];
      expect([r.body.Diff.Type, tg.Type, tg.Updates]).toEqual([
        "Edited",
        "Edited",
        { ignore: 1, "create/destroy update": 1 },
      ]);
      const task = tg.Tasks[0];
      expect(task.Annotations).toEqual(["forces create/destroy update"]);
      expect(task.Fields.find((f: { Name: string }) => f.Name === "Env[GREETING]")).toMatchObject({
        Type: "Edited",
        Old: "v0",
        New: "v1",
      });
      expect(r.body.JobModifyIndex).toBe((await api("/v1/job/web")).body.JobModifyIndex);
      const same = await api("/v1/job/web/plan", {
        method: "POST",
        body: { ...webJob({ GREETING: "v0" }), Diff: true },
      });
      expect([same.body.Diff.Type, same.body.Annotations.DesiredTGUpdates.web.Ignore]).toEqual(["None", 2]);
    });

    it("fails a deployment whose health check fails and auto-reverts to the stable version, with Nomad's texts", async () => {
      const r = await api("/v1/jobs", { method: "POST", body: webJob({ GREETING: "v1", HEALTH: "bad" }) });
      expect(r.status).toBe(200);
      // while it runs, scaling is refused
      const blocked = await api("/v1/job/web/scale", {
        method: "POST",
        body: { Count: 3, Target: { Group: "web" } },
      });
      expect([blocked.status, blocked.text]).toEqual([400, "job scaling blocked due to active deployment"]);
      const failed = await until(
        "the v1 deployment to fail",
        async () => {
          const list = (await api("/v1/job/web/deployments")).body;
          return list.find(
            (d: { JobVersion: number; Status: string }) => d.JobVersion === 1 && d.Status === "failed",
          );
        },
        40_000,
      );
      expect(failed.StatusDescription, JSON.stringify(await api("/v1/job/web/deployments"))).toBe(
        "Failed due to unhealthy allocations - rolling back to job version 0",
      );
      const job = await until(
        "the revert to v2 to be healthy",
        async () => {
          const d = (await api("/v1/job/web/deployment")).body;
          return d?.JobVersion === 2 && d.Status === "successful"
            ? (await api("/v1/job/web")).body
            : undefined;
        },
        40_000,
      );
      expect([job.Version, job.Stable, job.TaskGroups[0].Tasks[0].Env.GREETING]).toEqual([2, true, "v0"]);
      const unhealthy = (await api(`/v1/deployment/allocations/${failed.ID}`)).body;
      expect(unhealthy[0].DeploymentStatus.Healthy).toBe(false);
      const versions = (await api("/v1/job/web/versions")).body;
      sameShape(fixture("nomad-api/jobs__list-job-versions__sample-response-2.json"), {
        ...versions,
        Diffs: [],
      });
      expect(
        versions.Versions.map((v: { Version: number; Stable: boolean }) => [v.Version, v.Stable]),
      ).toEqual([
        [2, true],
        [1, false],
        [0, true],
      ]);
    }, 90_000);

    it("scales the group: 3 allocs running, the scale status, unknown groups refused", async () => {
      const bad = await api("/v1/job/web/scale", {
        method: "POST",
        body: { Count: 3, Target: { Group: "nope" } },
      });
      expect([bad.status, bad.text]).toEqual([
        400,
        'task group "nope" specified for scaling does not exist in job',
      ]);
      const r = await api("/v1/job/web/scale", {
        method: "POST",
        body: { Count: 3, Target: { Group: "web" }, Message: "scaled by our-cli" },
      });
      expect(r.status).toBe(200);
      const st = await until(
        "3 healthy allocs",
        async () => {
          const s = (await api("/v1/job/web/scale")).body;
          return s.TaskGroups.web.Healthy === 3 ? s : undefined;
        },
        40_000,
      );
      sameShape(fixture("nomad-api/jobs__read-job-scale-status__sample-response.json"), st);
      expect([
        st.TaskGroups.web.Desired,
        st.TaskGroups.web.Running,
        st.TaskGroups.web.Events[0].Message,
      ]).toEqual([3, 3, "scaled by our-cli"]);
    }, 60_000);

    it("answers blocking queries: held until the index passes, X-Nomad-Index moves", async () => {
      const first = await api("/v1/job/web");
      const index = Number(first.headers.get("x-nomad-index"));
      const t0 = Date.now();
      const idle = await api(`/v1/job/web?index=${index}&wait=1s`);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(Number(idle.headers.get("x-nomad-index"))).toBe(index);
      const waiting = api(
        `/v1/job/web/allocations?index=${Number((await api("/v1/job/web/allocations")).headers.get("x-nomad-index"))}&wait=30s`,
      );
      await api("/v1/job/web/scale", { method: "POST", body: { Count: 2, Target: { Group: "web" } } });
      const woke = await waiting;
      expect(woke.status).toBe(200);
      expect(woke.headers.get("x-nomad-knownleader")).toBe("true");
    }, 40_000);

    it("reports placement failures in the eval (FailedTGAllocs, ConstraintFiltered, blocked eval)", async () => {
      const j = webJob({});
      j.Job.ID = "nowhere";
      j.Job.Name = "nowhere";
      const nodeClass = ["$", "{node.class}"].join(""); // Nomad's interpolation syntax, literally
      j.Job.TaskGroups[0].Constraints = [{ LTarget: nodeClass, RTarget: "gpu", Operand: "=" }];
      const r = await api("/v1/jobs", { method: "POST", body: j });
      const ev = await until("the eval", async () => {
        const e = (await api(`/v1/evaluation/${r.body.EvalID}`)).body;
        return e?.Status === "complete" ? e : undefined;
      });
      const m = ev.FailedTGAllocs.web;
      expect([
        m.NodesEvaluated,
        m.NodesFiltered,
        m.ConstraintFiltered,
        m.ClassFiltered,
        m.CoalescedFailures,
      ]).toEqual([2, 2, { [`${nodeClass} = gpu`]: 2 }, { web: 2 }, 1]);
      const blocked = (await api(`/v1/evaluation/${ev.BlockedEval}`)).body;
      expect([blocked.Status, blocked.TriggeredBy, blocked.StatusDescription]).toEqual([
        "blocked",
        "queued-allocs",
        "created to place remaining allocations",
      ]);
      expect((await api("/v1/job/nowhere/deployment")).text).toBe("null");
      expect((await api("/v1/job/nope")).text).toBe("job not found");
      expect((await api("/v1/deployment/00000000-0000-0000-0000-000000000000")).text).toBe(
        "deployment not found",
      );
    });

    it("stops and purges the job: allocs stopped, services gone from Consul, processes gone", async () => {
      const allocs = (await api("/v1/job/web/allocations")).body.filter(
        (a: { ClientStatus: string }) => a.ClientStatus === "running",
      );
      const r = await api("/v1/job/web?purge=true", { method: "DELETE" });
      expect(r.status).toBe(200);
      await until(
        "every alloc complete",
        async () => {
          const list = await Promise.all(
            allocs.map(async (a: { ID: string }) => (await api(`/v1/allocation/${a.ID}`)).body),
          );
          return list.every((a) => a.ClientStatus === "complete" && a.DesiredStatus === "stop") || undefined;
        },
        30_000,
      );
      const services = JSON.parse(
        await (await fetch(`http://127.0.0.1:${consulPort}/v1/agent/services`)).text(),
      );
      expect(Object.keys(services).filter((k) => k.startsWith("_nomad-task-"))).toEqual([]);
      const a = (await api(`/v1/allocation/${allocs[0].ID}`)).body;
      expect(a.TaskStates.web.Events.map((e: { Type: string }) => e.Type).slice(-3)).toEqual([
        "Killing",
        "Terminated",
        "Killed",
      ]);
      expect((await api("/v1/job/web")).text).toBe("job not found");
    }, 40_000);
  },
);

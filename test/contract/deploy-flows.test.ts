// Contract test of np's app commands (deploy, scale, rollback, logs, status, stop) and of its Nomad client
// against the Nomad TEST DOUBLE on loopback with a REAL Consul 1.8.7: the flows np runs, with Nomad's texts on
// the failure paths (check-and-set refusal, 400 on scale during a deployment, placement failure, auto-revert).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerRequest } from "../../src/app/build-job.js";
import { revealSecrets } from "../../src/app/secret.js";
import { deployApp } from "../../src/deploy/deploy.js";
import { showLogs } from "../../src/deploy/logs.js";
import { isJobModifyConflict } from "../../src/deploy/nomad-errors.js";
import { rollbackApp } from "../../src/deploy/rollback.js";
import { followRollout, PlacementFailed } from "../../src/deploy/rollout.js";
import { scaleApp } from "../../src/deploy/scale.js";
import { readAppDetail } from "../../src/deploy/status-app.js";
import { readApps } from "../../src/deploy/status-apps.js";
import { stopApp } from "../../src/deploy/stop.js";
import {
  appAndJob,
  appYaml,
  type DoubleCluster,
  doubleClusterMissing,
  RecordingOutput,
  startDoubleCluster,
} from "./deploy-harness.js";

const skip = doubleClusterMissing();
if (skip) console.warn(`skipping test/contract/deploy-flows.test.ts: ${skip}`);

const opts = { dryRun: false, detach: false };
const noEdge = async () => null;

describe.skipIf(skip !== null)(
  "np's app commands against the Nomad double (real Consul 1.8.7)",
  { timeout: 60_000 },
  () => {
    let c: DoubleCluster;
    const signal = new AbortController().signal;
    const deploy = (env: Record<string, string>, extra = "", o = opts, count = 2) => {
      const out = new RecordingOutput();
      const { app, job } = appAndJob(appYaml("web", extra, count), env);
      return { out, run: deployApp({ nomad: c.nomad, edge: noEdge }, app, job, o, { out, signal }) };
    };

    beforeAll(async () => {
      c = await startDoubleCluster("127.0.91");
    }, 90_000);
    afterAll(async () => {
      await c?.stop();
    }, 60_000);

    it("deploys a new app: plan printed, registered, followed until every instance is healthy", async () => {
      const { out, run } = deploy({ VERSION: "v0", DATABASE_URL: "s3cr3t" });
      const r = await run;
      expect(r, out.text).toMatchObject({ app: "web", registered: true, version: 0, plan: "2 to place" });
      expect(out.text).toMatch(/^ {2}\+ job "web" \(new\)$/m);
      expect(out.text).toMatch(/^web: deployed version 0: 2 of 2 instances healthy$/m);
      // Progress named each instance running on its node (the last one may turn healthy in the very answer that
      // ends the deployment, so its "healthy" line is not guaranteed; the final line says 2 of 2 healthy).
      const running = new Set(
        out.lines.flatMap((l) => /^ {2}([0-9a-f]{8}) on c[12]: running, /.exec(l)?.slice(1, 2) ?? []),
      );
      expect(running.size, out.text).toBe(2);
      expect(out.text).toMatch(/^ {2}[0-9a-f]{8} on c[12]: running, healthy$/m);
      expect(out.text).toMatch(/not routed by Traefik/);
      const allocs = (await c.nomad.jobAllocations("web")).body;
      expect(
        allocs.filter((a) => a.ClientStatus === "running" && a.DesiredStatus === "run"),
        JSON.stringify(allocs.map((a) => [a.ID.slice(0, 8), a.ClientStatus, a.DesiredStatus])),
      ).toHaveLength(2);
    });

    it("a second deploy of the same np.yaml changes nothing", async () => {
      const { out, run } = deploy({ VERSION: "v0" });
      expect(await run).toMatchObject({ registered: false, plan: "no changes" });
      expect(out.text).toMatch(/web is up to date/);
    });

    it("never prints an env value, in the plan of a change either", async () => {
      const { out, run } = deploy({ VERSION: "v1-topsecret" }, "", { dryRun: true, detach: false });
      await run;
      expect(out.text).toMatch(/~ Env\[VERSION\]: \(secret, changed\)/);
      expect(out.text).not.toMatch(/topsecret|v0/);
      expect(out.text).toMatch(/dry run: nothing was registered/);
    });

    it("refuses a register whose JobModifyIndex is stale, with Nomad's check-and-set text", async () => {
      const { job } = appAndJob(appYaml("web"), { VERSION: "stale" });
      const err = await c.nomad.register(revealSecrets(registerRequest(job, 1))).catch((e: unknown) => e);
      expect(isJobModifyConflict(err)).toBe(true);
      expect((err as Error).message).toMatch(
        /Enforcing job modify index 1: job exists with conflicting job modify index: \d+/,
      );
    });

    it("two concurrent deploys of the same app: one is refused, the other deploys", async () => {
      const a = deploy({ VERSION: "v1" });
      const b = deploy({ VERSION: "v2" });
      const results = await Promise.allSettled([a.run, b.run]);
      const refused = results.filter((r) => r.status === "rejected");
      expect(refused, JSON.stringify(results)).toHaveLength(1);
      expect(String((refused[0] as PromiseRejectedResult).reason.message)).toMatch(
        /^web: refused: (the job changed in Nomad after np planned|a (deployment|change) )/,
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    });

    it("np scale during a deployment: Nomad's 400 becomes a clear refusal; afterwards it scales to 3", async () => {
      const { run } = deploy({ VERSION: "v3" }, "", { dryRun: false, detach: true });
      await run;
      const out = new RecordingOutput();
      const err = await scaleApp({ nomad: c.nomad, edge: noEdge }, "web", 3, { out, signal }).catch(
        (e: Error) => e,
      );
      expect((err as Error).message).toMatch(
        /^web: refused: Nomad refuses to scale while a deployment of it is running \(job scaling blocked due to active deployment\)/,
      );
      // wait for the detached deployment to end, then scale
      for (let i = 0; i < 100; i++) {
        const d = (await c.nomad.latestDeployment("web")).body;
        if (d && d.Status !== "running") break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const r = await scaleApp({ nomad: c.nomad, edge: noEdge }, "web", 3, { out, signal });
      expect(r).toMatchObject({ from: 2, to: 3 });
      expect(out.text).toMatch(/web: deployed version \d+: 3 of 3 instances healthy/);
    });

    it("np logs: the last lines of every instance, each prefixed by its allocation and node", async () => {
      const lines: string[] = [];
      await showLogs(
        { nomad: c.nomad, logSearch: async () => null },
        "web",
        { follow: false, stderr: false, lines: 5 },
        {
          print: (l) => lines.push(l),
          signal,
        },
      );
      const allocs = (await c.nomad.jobAllocations("web")).body.filter((a) => a.ClientStatus === "running");
      expect(allocs).toHaveLength(3);
      for (const a of allocs)
        expect(lines).toContain(`${a.ID.slice(0, 8)} ${a.NodeName} | listening alloc ${a.ID} v3`);
    });

    it("np logs -f picks up an instance that starts later, from its first line", async () => {
      const lines: string[] = [];
      const ctl = new AbortController();
      const following = showLogs(
        { nomad: c.nomad, logSearch: async () => null },
        "web",
        { follow: true, stderr: false, lines: 1 },
        {
          print: (l) => lines.push(l),
          signal: ctl.signal,
        },
      );
      await new Promise((r) => setTimeout(r, 1000));
      const before = new Set((await c.nomad.jobAllocations("web")).body.map((a) => a.ID));
      await scaleApp({ nomad: c.nomad, edge: noEdge }, "web", 4, { out: new RecordingOutput(), signal });
      const added = (await c.nomad.jobAllocations("web")).body.find((a) => !before.has(a.ID));
      expect(added).toBeDefined();
      const want = `${added?.ID.slice(0, 8)} ${added?.NodeName} | listening alloc ${added?.ID} v3`;
      for (let i = 0; i < 50 && !lines.includes(want); i++) await new Promise((r) => setTimeout(r, 200));
      ctl.abort();
      await following;
      expect(lines).toContain(want);
    });

    it("a deploy whose health check fails: the failure explained (events, stderr tail), the auto-revert followed, exit 1", async () => {
      const { out, run } = deploy({ VERSION: "v3", HEALTH: "bad" }, "", opts, 4);
      const err = (await run.catch((e: Error) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(
        /^web: deployment of version \d+ failed: Failed due to (unhealthy allocations|progress deadline)/,
      );
      expect(err.message).toMatch(
        /\nNomad rolled back: version \d+ runs now \(registered again as version \d+\), 4 of 4 instances healthy$/,
      );
      expect(out.text).toMatch(/task events:/);
      expect(out.text).toMatch(/stderr \(last \d+ lines?\):\n {4}health: refusing on purpose \(HEALTH=bad\)/);
      const job = (await c.nomad.job("web")).body;
      expect(job?.TaskGroups[0]?.Tasks[0]?.Env?.HEALTH).toBe("good");
    });

    it("np rollback returns to the previous stable version that runs something else", async () => {
      const before = (await c.nomad.job("web")).body;
      const out = new RecordingOutput();
      const r = await rollbackApp({ nomad: c.nomad, edge: noEdge }, "web", undefined, { out, signal });
      expect(r.from).toBe(before?.Version);
      const now = (await c.nomad.job("web")).body;
      expect(now?.Version).toBe((before?.Version ?? 0) + 1);
      // The running version was v3 at count 4; the previous stable one that differs is v3 at count 3.
      expect(now?.TaskGroups[0]?.Count).toBe(3);
      expect(out.text).toMatch(/rolling back from version \d+ to version \d+/);
    });

    it("placement failures end the rollout at once with Nomad's reasons in np.yaml's words", async () => {
      const { app, job } = appAndJob(appYaml("nowhere", "placement: { node_class: gpu }\n"), {
        VERSION: "x",
      });
      const out = new RecordingOutput();
      const planned = await deployApp({ nomad: c.nomad, edge: noEdge }, app, job, opts, {
        out,
        signal,
      }).catch((e: Error) => e);
      expect((planned as Error).message).toMatch(
        /nowhere: Nomad's plan cannot place every instance; nothing was registered:\n - group "nowhere": 2 instances not placed: 2 nodes excluded by placement.node_class "gpu"/,
      );
      expect((await c.nomad.job("nowhere")).body).toBeNull();
      const started = await c.nomad.register(revealSecrets(registerRequest(job, 0)));
      const followed = await followRollout(c.nomad, "nowhere", started, { out, signal, app }).catch(
        (e: Error) => e,
      );
      expect(followed).toBeInstanceOf(PlacementFailed);
      expect((followed as Error).message).toMatch(/placement.node_class "gpu"/);
      await c.nomad.deregister("nowhere", true);
    });

    it("an image app on clients without docker is refused before anything is registered, naming the nodes", async () => {
      const yaml = "name: img\nimage: ghcr.io/acme/web:1.0\nport: 8080\n";
      const { app, job } = appAndJob(yaml, {});
      const err = await deployApp({ nomad: c.nomad, edge: noEdge }, app, job, opts, {
        out: new RecordingOutput(),
        signal,
      }).catch((e: Error) => e);
      expect((err as Error).message).toMatch(
        /^img: no client can run docker tasks in datacenter dc1: c[12] \(docker not detected\)/,
      );
      expect((err as { hint?: string }).hint).toMatch(/np does not install Docker yet/);
      expect((await c.nomad.job("img")).body).toBeNull();
    });

    it("np status: the apps with version and counts; one app with its instances, events and versions", async () => {
      const rows = await readApps(c.nomad);
      expect(rows.map((r) => r.name)).toEqual(["web"]);
      expect(rows[0]).toMatchObject({ desired: 3, running: 3, healthy: 3, stopped: false, url: null });
      expect(rows[0]?.deployment?.status).toBe("successful");
      const d = await readAppDetail(c.nomad, "web");
      expect(
        d.instances.filter((i) => i.desired === "run" && i.state === "running" && i.health === "healthy"),
      ).toHaveLength(3);
      expect(d.versions[0]).toMatchObject({ current: true, version: d.app.version });
      expect(d.versions.filter((v) => v.stable).length).toBeGreaterThan(0);
      expect(d.events.length).toBeGreaterThan(0);
      expect(JSON.stringify(d)).not.toMatch(/Env|s3cr3t|HEALTH/);
    });

    it("np stop waits until no instance runs and the service left Consul", async () => {
      const out = new RecordingOutput();
      const r = await stopApp({ nomad: c.nomad, consul: c.consul }, "web", false, { out, signal });
      expect(r.purged).toBe(false);
      // The instance the rollback scaled away may still be stopping (its deployment ended without waiting).
      expect(r.stopped).toBeGreaterThanOrEqual(3);
      expect((await c.consul.serviceHealth("web")).length).toBe(0);
      const allocs = (await c.nomad.jobAllocations("web")).body;
      expect(allocs.every((a) => ["complete", "failed", "lost"].includes(a.ClientStatus))).toBe(true);
      expect(out.text).toMatch(/web: stopped: no instance runs, the service left Consul/);
    });
  },
);

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} is np.yaml's and Nomad's variable syntax
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  type AppSpec,
  appSpecHash,
  buildJob,
  type JobTarget,
  jobTargetOf,
  type NomadJob,
  planRequest,
  registerRequest,
  resolveAppEnv,
  revealSecrets,
} from "../../src/app/index.js";
import { parseInventory } from "../../src/inventory/index.js";
import { load } from "./app-fixtures.js";
import { structErrors } from "./app-nomad-structs.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/app");
const sample = (name: string) => JSON.parse(readFileSync(path.join(fixtures, name), "utf8"));

const ACME: JobTarget = { region: "global", datacenters: ["dc1"], acme: true, npVersion: "0.1.0" };
const PLAIN: JobTarget = { ...ACME, acme: false };

function jobOf(text: string, target: JobTarget = PLAIN, env: NodeJS.ProcessEnv = {}): NomadJob {
  const { app } = load(text, env);
  return buildJob(app, target, resolveAppEnv(app, env));
}

/** What is sent to Nomad: the job with its secrets revealed. */
const wire = <T>(body: T): T => revealSecrets(body);

const DOCKER_LIKE_SAMPLE = `name: web
image: ghcr.io/example/web:1.2.3
port: 8080
count: 2
cpu: 200
env: { PORT: "8080" }
health_check: { path: /healthz, interval: 10s, timeout: 2s }
domains: [web.example.com]
`;

const VARIANTS: Record<string, [string, JobTarget]> = {
  "docker with a domain and ACME": [DOCKER_LIKE_SAMPLE, ACME],
  "docker without domains": ["name: web\nimage: nginx:1.27\nport: 80\n", PLAIN],
  "exec with artifact": [
    `name: api
command: local/api
args: ["--port", "\${NOMAD_PORT_http}"]
artifact: { url: "https://example.com/api.tar.gz", checksum: "sha256:${"c".repeat(64)}" }
domains: [api.example.com, www.example.com]
`,
    PLAIN,
  ],
  "raw_exec with placement and update": [
    `name: worker
command: /usr/local/bin/worker
driver: raw_exec
count: 4
placement: { node_class: batch, labels: { disk: ssd } }
update: { max_parallel: 2, canary: 2, auto_promote: true, auto_revert: false, min_healthy_time: 30s }
shutdown_delay: 15s
`,
    ACME,
  ],
};

describe("buildJob: every key is a field of Nomad's API structs, with the right JSON kind", () => {
  it.each(Object.entries(VARIANTS))("%s", (_, [text, target]) => {
    const job = jobOf(text, target);
    expect(structErrors(wire(job), "Job")).toEqual([]);
    expect(structErrors(wire(registerRequest(job, 7)), "JobRegisterRequest")).toEqual([]);
    expect(structErrors(wire(planRequest(job)), "JobPlanRequest")).toEqual([]);
  });

  it("the walk itself catches a wrong key, a wrong casing and a duration written as a string", () => {
    const job = wire(jobOf(DOCKER_LIKE_SAMPLE)) as unknown as Record<string, unknown>;
    const bad = JSON.parse(JSON.stringify(job));
    bad.TaskGroups[0].Tasks[0].Resources = { CPU: 100, MemoryMb: 256 };
    bad.TaskGroups[0].Services[0].Checks[0].Interval = "10s";
    bad.TaskGroups[0].ShutdownDlay = 5;
    expect(structErrors(bad, "Job")).toEqual([
      'Job.TaskGroups[0].Services[0].Checks[0].Interval: expected duration-ns (time.Duration), got string "10s"',
      "Job.TaskGroups[0].Tasks[0].Resources.MemoryMb: not a field of Resources (the field is MemoryMB)",
      "Job.TaskGroups[0].ShutdownDlay: not a field of TaskGroup",
    ]);
  });

  it("the reference samples pass the same walk", () => {
    for (const name of ["web-docker.register.json", "web-exec.register.json", "web-raw_exec.register.json"])
      expect(structErrors(sample(name), "JobRegisterRequest"), name).toEqual([]);
    expect(structErrors(sample("web-docker.plan.payload.json"), "JobPlanRequest")).toEqual([]);
  });
});

describe("buildJob: matches the reference jobs (reference/nomad-job-examples)", () => {
  /** Our job next to a sample: the fields both set must agree. */
  function compare(ours: NomadJob, theirs: { Job: Record<string, never> }) {
    const o = wire(ours);
    const t = theirs.Job as unknown as NomadJob & { Update: Record<string, unknown> };
    for (const key of ["ID", "Name", "Type", "Region", "Namespace", "Datacenters"] as const)
      expect(o[key]).toEqual(t[key]);
    const [og, tg] = [o.TaskGroups[0], t.TaskGroups[0]];
    expect(og?.Count).toBe(tg?.Count);
    expect(og?.Networks).toEqual(tg?.Networks);
    const [os, ts] = [og?.Services[0], tg?.Services[0]];
    expect({ ...os, Tags: undefined }).toEqual({ ...ts, Tags: undefined });
    // The samples name their ACME resolver "le"; np's is "letsencrypt". np adds tls=true and its own tag.
    const theirTags = (ts?.Tags ?? []).map((tag) =>
      tag.replace(/certresolver=le$/, "certresolver=letsencrypt"),
    );
    expect(os?.Tags).toEqual(expect.arrayContaining(theirTags));
    const [ot, tt] = [og?.Tasks[0], tg?.Tasks[0]];
    for (const key of ["Driver", "Config", "Env", "Resources"] as const) expect(ot?.[key]).toEqual(tt?.[key]);
    // The samples set Update on the job; np sets it on the group: same values.
    for (const [key, value] of Object.entries(og?.Update ?? {})) expect(value, key).toEqual(t.Update[key]);
  }

  it("docker", () => {
    compare(jobOf(DOCKER_LIKE_SAMPLE, ACME), sample("web-docker.register.json"));
  });

  it("exec and raw_exec", () => {
    const exec = (name: string, driver: string) => `name: ${name}
command: /opt/apps/web/bin/web
args: ["--listen", "\${NOMAD_IP_http}:\${NOMAD_PORT_http}"]
driver: ${driver}
count: 2
env: { PORT: "\${NOMAD_PORT_http}" }
cpu: 200
health_check: { path: /healthz }
domains: [web.example.com]
`;
    // The samples name the group's service "web" whatever the job is called; np names it after the app.
    const named = (file: string) => {
      const theirs = sample(file);
      const id = theirs.Job.ID;
      const service = theirs.Job.TaskGroups[0].Services[0];
      service.Name = id;
      service.Checks[0].Name = `${id}-http`;
      service.Tags = service.Tags.map((t: string) => t.replace("routers.web.", `routers.${id}.`));
      return theirs;
    };
    compare(jobOf(exec("web-exec", "exec"), ACME), named("web-exec.register.json"));
    compare(jobOf(exec("web-rawexec", "raw_exec"), ACME), named("web-raw_exec.register.json"));
  });
});

describe("buildJob: what each np.yaml field becomes", () => {
  it("docker: image, ports [http], the dynamic port mapped To the app's port, durations in ns", () => {
    const job = wire(jobOf(DOCKER_LIKE_SAMPLE, ACME));
    const group = job.TaskGroups[0];
    expect(job).toMatchObject({ ID: "web", Type: "service", Datacenters: ["dc1"], Region: "global" });
    expect(group).toMatchObject({
      Name: "web",
      Count: 2,
      ShutdownDelay: 5_000_000_000,
      Networks: [{ Mode: "host", DynamicPorts: [{ Label: "http", Value: 0, To: 8080 }] }],
      Update: {
        MaxParallel: 1,
        HealthCheck: "checks",
        MinHealthyTime: 10_000_000_000,
        HealthyDeadline: 300_000_000_000,
        ProgressDeadline: 600_000_000_000,
        AutoRevert: true,
        AutoPromote: false,
        Canary: 0,
      },
    });
    expect(group?.Constraints).toBeUndefined();
    expect(group?.Tasks[0]).toEqual({
      Name: "web",
      Driver: "docker",
      Config: { image: "ghcr.io/example/web:1.2.3", ports: ["http"] },
      Env: { PORT: "8080" },
      Resources: { CPU: 200, MemoryMB: 256 },
    });
    expect(group?.Services).toEqual([
      {
        Name: "web",
        Provider: "consul",
        PortLabel: "http",
        Tags: [
          "np.app=web",
          "traefik.enable=true",
          "traefik.http.routers.web.rule=Host(`web.example.com`)",
          "traefik.http.routers.web.entrypoints=websecure",
          "traefik.http.routers.web.tls=true",
          "traefik.http.routers.web.tls.certresolver=letsencrypt",
        ],
        Checks: [
          {
            Name: "web-http",
            Type: "http",
            Path: "/healthz",
            PortLabel: "http",
            Interval: 10_000_000_000,
            Timeout: 2_000_000_000,
          },
        ],
      },
    ]);
  });

  it("domains: one router matching every host, on web without ACME; no domains: not routed at all", () => {
    const exec = jobOf(VARIANTS["exec with artifact"]?.[0] ?? "");
    const docker = jobOf("name: web\nimage: nginx:1.27\nport: 80\n");
    expect(exec.TaskGroups[0]?.Services[0]?.Tags).toEqual([
      "np.app=api",
      "traefik.enable=true",
      "traefik.http.routers.api.rule=Host(`api.example.com`) || Host(`www.example.com`)",
      "traefik.http.routers.api.entrypoints=web",
    ]);
    expect(docker.TaskGroups[0]?.Services[0]?.Tags).toEqual(["np.app=web"]);
  });

  it("exec: command and args (Nomad fills in its variables), no To on the port, the artifact with its checksum", () => {
    const group = wire(jobOf(VARIANTS["exec with artifact"]?.[0] ?? "")).TaskGroups[0];
    expect(group?.Networks).toEqual([{ Mode: "host", DynamicPorts: [{ Label: "http", Value: 0 }] }]);
    expect(group?.Tasks[0]).toMatchObject({
      Driver: "exec",
      Config: { command: "local/api", args: ["--port", "${NOMAD_PORT_http}"] },
      Artifacts: [
        {
          GetterSource: "https://example.com/api.tar.gz",
          GetterOptions: { checksum: `sha256:${"c".repeat(64)}` },
          RelativeDest: "local/",
        },
      ],
    });
  });

  it("raw_exec only when asked; placement as constraints on ${node.class} and ${meta.<key>}; update as written", () => {
    const group = wire(jobOf(VARIANTS["raw_exec with placement and update"]?.[0] ?? "", ACME)).TaskGroups[0];
    expect(group?.Tasks[0]?.Driver).toBe("raw_exec");
    expect(group?.Count).toBe(4);
    expect(group?.ShutdownDelay).toBe(15e9);
    expect(group?.Constraints).toEqual([
      { LTarget: "${node.class}", RTarget: "batch", Operand: "=" },
      { LTarget: "${meta.disk}", RTarget: "ssd", Operand: "=" },
    ]);
    expect(group?.Update).toEqual({
      MaxParallel: 2,
      HealthCheck: "checks",
      MinHealthyTime: 30e9,
      HealthyDeadline: 300e9,
      ProgressDeadline: 600e9,
      AutoRevert: false,
      AutoPromote: true,
      Canary: 2,
    });
  });

  it("env values stay secret in the job (printed as [secret]) and reach Nomad only through revealSecrets", () => {
    const job = jobOf(
      `${DOCKER_LIKE_SAMPLE.replace('env: { PORT: "8080" }\n', "")}env: { DB: "\${DB_URL}" }\n`,
      PLAIN,
      {
        DB_URL: "postgres://u:pw@db/app",
      },
    );
    expect(JSON.stringify(job)).not.toContain("pw@db");
    expect(JSON.stringify(job.TaskGroups[0]?.Tasks[0]?.Env)).toBe('{"DB":"[secret]"}');
    expect(wire(job).TaskGroups[0]?.Tasks[0]?.Env).toEqual({ DB: "postgres://u:pw@db/app" });
  });

  it("Meta: np's version and the spec's hash, which ignores env values but not their names", () => {
    const a = load(DOCKER_LIKE_SAMPLE).app;
    const job = buildJob(a, ACME, {});
    expect(job.Meta).toEqual({ np_version: "0.1.0", np_spec_sha256: appSpecHash(a) });
    expect(appSpecHash(a)).toMatch(/^[0-9a-f]{64}$/);
    const other = (text: string) => appSpecHash(load(text).app);
    expect(other(DOCKER_LIKE_SAMPLE.replace('"8080"', '"9090"'))).toBe(appSpecHash(a));
    expect(other(DOCKER_LIKE_SAMPLE.replace("PORT:", "HTTP_PORT:"))).not.toBe(appSpecHash(a));
    expect(other(DOCKER_LIKE_SAMPLE.replace("count: 2", "count: 3"))).not.toBe(appSpecHash(a));
    const moved: AppSpec = { ...a, file: "elsewhere/np.yaml" };
    expect(appSpecHash(moved)).toBe(appSpecHash(a));
  });

  it("register with check-and-set on the plan's JobModifyIndex; plan with the diff", () => {
    const job = jobOf(DOCKER_LIKE_SAMPLE);
    expect(registerRequest(job, 42)).toEqual({ Job: job, EnforceIndex: true, JobModifyIndex: 42 });
    expect(planRequest(job)).toEqual({ Job: job, Diff: true });
  });

  it("takes region, datacenter and ACME from the inventory", () => {
    const { inventory } = parseInventory(
      `cluster: { name: demo, datacenter: eu1, region: europe, single_server: true }
hosts:
  - { name: node1, address: 10.0.0.1, roles: [server, client, edge, observe] }
traefik: { acme_email: ops@example.com }
`,
      "inventory.yaml",
      {},
    );
    expect(jobTargetOf(inventory, "0.2.0")).toEqual({
      region: "europe",
      datacenters: ["eu1"],
      acme: true,
      npVersion: "0.2.0",
    });
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is np.yaml's variable syntax, not a template
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { APP_DEFAULTS, loadApp } from "../../src/app/index.js";
import { InputError } from "../../src/errors.js";
import { DOCKER_APP, EXEC_APP, load, problemsOf } from "./app-fixtures.js";

describe("np.yaml: a valid app", () => {
  it("applies the defaults to a minimal docker app", () => {
    const { app } = load("name: web\nimage: ghcr.io/example/web:1.2.3\nport: 8080\n");
    expect(app).toMatchObject({
      file: "np.yaml",
      name: "web",
      driver: "docker",
      image: "ghcr.io/example/web:1.2.3",
      port: 8080,
      args: [],
      count: 1,
      cpu: 100,
      memoryMb: 256,
      env: {},
      healthCheck: { path: "/", intervalNs: 10e9, timeoutNs: 2e9 },
      domains: [],
      update: {
        maxParallel: 1,
        canary: 0,
        autoPromote: false,
        autoRevert: true,
        minHealthyTimeNs: 10e9,
        healthyDeadlineNs: 300e9,
        progressDeadlineNs: 600e9,
      },
      placement: { labels: {} },
      shutdownDelayNs: 5e9,
    });
    expect(app.command).toBeUndefined();
    expect(app.artifact).toBeUndefined();
    expect(APP_DEFAULTS.update.autoRevert).toBe(true);
  });

  it("reads every field, durations in nanoseconds", () => {
    const { app } = load(`name: api
command: local/api
args: ["--port", "\${NOMAD_PORT_http}"]
driver: raw_exec
artifact:
  url: https://downloads.example.com/api-2.0.0.tar.gz
  checksum: sha256:${"a".repeat(64)}
  destination: local/bin
count: 3
cpu: 250
memory: 512
env:
  LOG_LEVEL: debug
health_check: { path: /healthz, interval: 15s, timeout: 1500ms }
domains: [api.example.com, www.example.com]
update:
  max_parallel: 2
  canary: 1
  auto_promote: true
  auto_revert: false
  min_healthy_time: 5s
  healthy_deadline: 2m
  progress_deadline: 1h30m
placement:
  node_class: web
  labels: { disk: ssd, zone: a }
shutdown_delay: 0s
`);
    expect(app).toMatchObject({
      driver: "raw_exec",
      command: "local/api",
      args: ["--port", "${NOMAD_PORT_http}"],
      artifact: {
        url: "https://downloads.example.com/api-2.0.0.tar.gz",
        checksum: `sha256:${"a".repeat(64)}`,
        destination: "local/bin",
      },
      count: 3,
      cpu: 250,
      memoryMb: 512,
      healthCheck: { path: "/healthz", intervalNs: 15e9, timeoutNs: 1.5e9 },
      domains: ["api.example.com", "www.example.com"],
      update: {
        maxParallel: 2,
        canary: 1,
        autoPromote: true,
        autoRevert: false,
        minHealthyTimeNs: 5e9,
        healthyDeadlineNs: 120e9,
        progressDeadlineNs: 5400e9,
      },
      placement: { nodeClass: "web", labels: { disk: "ssd", zone: "a" } },
      shutdownDelayNs: 0,
    });
    expect(Object.keys(app.env)).toEqual(["LOG_LEVEL"]);
    expect(app.env.LOG_LEVEL?.location).toBe("np.yaml:13:14");
  });

  it("runs a command with exec unless raw_exec is asked for", () => {
    expect(load(EXEC_APP).app.driver).toBe("exec");
    expect(load(`${EXEC_APP}driver: exec\n`).app.driver).toBe("exec");
    expect(load(`${DOCKER_APP}driver: docker\n`).app.driver).toBe("docker");
  });

  it("takes ${VAR} outside env from the environment now, and leaves Nomad's variables for Nomad", () => {
    const text = "name: web\nimage: ghcr.io/example/web:${TAG}\nport: ${PORT:-8080}\ncount: 2\n";
    const { app } = load(text, { TAG: "1.4.2" });
    expect(app.image).toBe("ghcr.io/example/web:1.4.2");
    expect(app.port).toBe(8080);
    expect(load(EXEC_APP).app.args).toEqual(["--listen", "${NOMAD_IP_http}:${NOMAD_PORT_http}"]);
    expect(problemsOf(text)).toEqual([
      "np.yaml:2:8 image: environment variable TAG is not set (set it, or write ${TAG:-default})",
    ]);
  });

  it("keeps env values as written (resolved at deploy time), so an unset variable is no problem yet", () => {
    const { app } = load(`${DOCKER_APP}env:\n  DATABASE_URL: \${DATABASE_URL}\n`);
    expect(app.env.DATABASE_URL?.template.reveal()).toBe("${DATABASE_URL}");
  });

  it("warns about an unpinned image, max_parallel above count and a single instance", () => {
    expect(load(DOCKER_APP).warnings).toEqual([]);
    const { warnings } = load(
      "name: web\nimage: ghcr.io/example/web\nport: 8080\nupdate: { max_parallel: 3 }\n",
    );
    expect(warnings).toEqual([
      "np.yaml:1:1: count is 1 (the default): during a redeploy no instance is healthy until the new one passes its check; for zero downtime set count: 2, or update.canary: 1 with update.auto_promote: true",
      "np.yaml:2:8 image: has no tag, so Docker pulls latest: a redeploy or rollback may not run the build you expect; pin a version tag",
    ]);
    const latest = load(
      "name: web\nimage: ghcr.io/example/web:latest\nport: 8080\ncount: 2\nupdate: { max_parallel: 3 }\n",
    );
    expect(latest.warnings).toEqual([
      "np.yaml:2:8 image: is tagged latest: a redeploy or rollback may not run the build you expect; pin a version tag",
      "np.yaml:5:25 update.max_parallel: is greater than count (3 > 2): a change replaces every instance at once",
    ]);
    expect(
      load(`name: web\nimage: registry.example.com:5000/web@sha256:${"b".repeat(64)}\nport: 80\ncount: 2\n`)
        .warnings,
    ).toEqual([]);
  });
});

describe("np.yaml: every problem at once, at its line and column", () => {
  it("reports unknown keys with a suggestion, types, ranges and cross-field rules together", () => {
    const problems = problemsOf(`name: Web_1
imgae: ghcr.io/example/web:1.2.3
command: /bin/web
port: 8080
count: 0
memory: "512"
health_check:
  path: healthz
  interval: 10
  timeout: 500ms
domains: [web.example.com, "*.example.com", web.example.com]
update:
  auto_promote: true
  healthy_deadline: 15m
placement:
  node_class: "bad class"
shutdown_delay: forever
`);
    expect(problems).toEqual([
      'np.yaml:1:7 name: "Web_1" is not a valid app name: use 1-63 lowercase letters, digits or "-", not starting or ending with "-"',
      'np.yaml:2:1 imgae: unknown key "imgae" (did you mean "image"?)',
      // imgae is taken for the image it was meant to be: image and command together.
      "np.yaml:3:1 command: set image (a container, run by docker) or command (a program, run by exec), not both",
      "np.yaml:5:8 count: must be at least 1, got 0",
      'np.yaml:6:9 memory: expected a number, got the string "512" (remove the quotes)',
      'np.yaml:8:9 health_check.path: "healthz" is not a valid path: start with "/" and use URL characters only, such as /healthz',
      "np.yaml:9:13 health_check.interval: expected a string, got the number 10 (put the value in quotes)",
      'np.yaml:10:12 health_check.timeout: "500ms" is too short: at least 1s',
      'np.yaml:11:28 domains[1]: "*.example.com" is not a valid domain: use a lowercase host name such as web.example.com (no wildcards, no port)',
      "np.yaml:11:45 domains[2]: web.example.com is listed twice",
      "np.yaml:13:17 update.auto_promote: needs update.canary of 1 or more",
      "np.yaml:14:21 update.healthy_deadline: must be shorter than update.progress_deadline (10m, the default)",
      'np.yaml:16:15 placement.node_class: "bad class" is not a valid node class: use 1-63 letters, digits, "_" or "-", not starting with "-"',
      'np.yaml:17:17 shutdown_delay: "forever": write a duration such as "10s", "5m" or "1h30m" (units ms, s, m, h)',
    ]);
  });

  it("needs exactly one of image and command, port with image, args with command only", () => {
    expect(problemsOf("name: web\n")).toEqual([
      "np.yaml:1:1: set image (a container image, run by docker) or command (a program, run by exec)",
    ]);
    expect(problemsOf("name: web\ncomand: /bin/web\n")).toEqual([
      'np.yaml:2:1 comand: unknown key "comand" (did you mean "command"?)',
    ]);
    expect(problemsOf("name: web\ncommand: /bin/web\nport: 80\n")).toEqual([
      "np.yaml:3:1 port: is only for images: a command listens on the port Nomad gives it, in $NOMAD_PORT_http",
    ]);
    expect(problemsOf("name: web\nimage: nginx:1.27\ncommand: /bin/web\nport: 80\n")).toEqual([
      "np.yaml:3:1 command: set image (a container, run by docker) or command (a program, run by exec), not both",
    ]);
    expect(problemsOf("name: web\nimage: nginx:1.27\nargs: [x]\n")).toEqual([
      "np.yaml:1:1 port: is required with image: the port the app listens on inside its container",
      "np.yaml:3:1 args: is only for command: an image runs its own entry point",
    ]);
    expect(problemsOf("name: web\nimage: nginx:1.27\nport: 80\ndriver: raw_exec\n")).toEqual([
      "np.yaml:4:9 driver: an image runs with the docker driver: remove driver, or run a command with raw_exec",
    ]);
    expect(problemsOf("name: web\ncommand: /bin/web\ndriver: docker\n")).toEqual([
      "np.yaml:3:9 driver: docker runs an image: set image instead of command",
    ]);
    expect(problemsOf("name: web\ncommand: /bin/web\ndriver: podman\n")).toEqual([
      'np.yaml:3:9 driver: "podman" is not one of docker, exec, raw_exec',
    ]);
  });

  it("orders the update deadlines as Nomad does, naming whichever the user wrote", () => {
    expect(problemsOf(`${DOCKER_APP}update: { min_healthy_time: 10m, healthy_deadline: 5m }\n`)).toEqual([
      "np.yaml:5:52 update.healthy_deadline: must be longer than update.min_healthy_time (10m)",
    ]);
    expect(problemsOf(`${DOCKER_APP}update: { min_healthy_time: 6m }\n`)).toEqual([
      "np.yaml:5:29 update.min_healthy_time: must be shorter than update.healthy_deadline (5m, the default)",
    ]);
  });

  it("refuses an app named after one of np's own services, a bad image, artifact and env name", () => {
    expect(
      problemsOf(`name: traefik
image: "ghcr.io/Example/web:1.2.3; rm -rf /"
port: 70000
artifact: { url: "ftp://example.com/x", checksum: "md5:abc", destination: ../etc }
env: { "1BAD": x }
`),
    ).toEqual([
      'np.yaml:1:7 name: "traefik" is the name of one of np\'s own services: choose another name',
      'np.yaml:2:8 image: "ghcr.io/Example/web:1.2.3; rm -rf /" is not a valid image: use a reference such as ghcr.io/acme/web:1.4.2 (registry/path:tag or @sha256:digest)',
      "np.yaml:3:7 port: must be at most 65535, got 70000",
      'np.yaml:4:18 artifact.url: "ftp://example.com/x" is not an http:// or https:// URL',
      'np.yaml:4:51 artifact.checksum: "md5:abc" is not a valid checksum: write "sha256:" and the 64 lowercase hex digits of the file\'s SHA-256',
      'np.yaml:4:75 artifact.destination: "../etc" is not a valid destination: use a relative folder inside the task folder, such as local/ (no "..")',
      'np.yaml:5:8 env["1BAD"]: "1BAD" is not a valid environment variable name: use letters, digits and "_", not starting with a digit (e.g. NP_SSH_PASSPHRASE)',
    ]);
  });

  it("never quotes an env value in a problem: env values are secret", () => {
    const problems = problemsOf(`${DOCKER_APP}env:
  PIN: 48213
  TOKEN: "\${sk_live_51Hx"
  KEY: "\${sk live 51Hx}"
`);
    expect(problems).toEqual([
      "np.yaml:6:8 env.PIN: must be text: put the value in quotes",
      'np.yaml:7:10 env.TOKEN: has an unterminated "${" (close it with "}", or write "$$" for a literal "$")',
      'np.yaml:8:8 env.KEY: has an invalid variable reference: use ${NAME} or ${NAME:-default} ("$$" for a literal "$")',
    ]);
    expect(problems.join("\n")).not.toMatch(/48213|sk_live|sk live/);
  });

  it("reports malformed YAML, duplicate keys and an empty file", () => {
    expect(problemsOf("name: web\nname: api\nimage: nginx:1.27\nport: 80\n")).toEqual([
      'np.yaml:2:1 name: duplicate key "name": a key may appear once per map',
    ]);
    expect(problemsOf("")).toEqual([
      "np.yaml:1:1: the file is empty: run `np init app` for a commented np.yaml",
    ]);
    expect(problemsOf("name: [web\n")[0]).toMatch(/^np\.yaml:\d+:\d+: invalid YAML: /);
  });

  it("is an InputError (exit 2) naming the file and the count; a missing file says how to create one", async () => {
    let err: unknown;
    try {
      load("name: web\n");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as InputError).message).toBe("np.yaml has 1 problem");
    expect((err as InputError).hint).toBe("fix them and run `np validate` to check again");
    const dir = mkdtempSync(path.join(os.tmpdir(), "np-app-"));
    await expect(loadApp(path.join(dir, "np.yaml"))).rejects.toMatchObject({
      exitCode: 2,
      hint: "create one with `np init app` or pass -f FILE",
    });
    writeFileSync(path.join(dir, "np.yaml"), DOCKER_APP);
    expect((await loadApp(path.join(dir, "np.yaml"), {})).app.name).toBe("web");
  });
});

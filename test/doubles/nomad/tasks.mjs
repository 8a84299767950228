// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): one task of an allocation, run for real as the raw_exec
// driver does (exec is run the same way: the double has no chroot/cgroup isolation). After
// client/allocrunner/taskrunner/task_runner.go and restarts/restarts.go: events with Nomad's Type and
// DisplayMessage (structs.TaskEvent.PopulateEventDisplayMessage), restart policy (attempts in interval, delay with
// 25% jitter, mode fail|delay, service tasks restart on success too), kill with KillSignal (default SIGINT) then
// SIGKILL after KillTimeout, shutdown_delay before the kill, the task environment of client/taskenv/env.go.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { FileRotator } from "./logs.mjs";

const goDur = (ms) => {
  if (ms === 0) return "0s";
  const h = Math.floor(ms / 3.6e6);
  const m = Math.floor((ms % 3.6e6) / 6e4);
  const s = Number(((ms % 6e4) / 1e3).toFixed(9));
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${s}s`;
};

export { goDur };

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };

/** A structs.TaskEvent with every field Nomad marshals (the deprecated ones too). */
export function taskEvent(type, fields = {}, details = {}) {
  const e = {
    Type: type,
    Time: Date.now() * 1e6,
    Message: "",
    DisplayMessage: "",
    Details: details,
    FailsTask: false,
    RestartReason: "",
    SetupError: "",
    DriverError: "",
    ExitCode: 0,
    Signal: 0,
    KillTimeout: 0,
    KillError: "",
    KillReason: "",
    StartDelay: 0,
    DownloadError: "",
    ValidationError: "",
    DiskLimit: 0,
    FailedSibling: "",
    VaultError: "",
    TaskSignalReason: "",
    TaskSignal: "",
    DriverMessage: "",
    GenericSource: "",
    ...fields,
  };
  if (!e.DisplayMessage) e.DisplayMessage = displayMessage(e);
  return e;
}

/** structs.TaskEvent.PopulateEventDisplayMessage for the event types the double emits. */
function displayMessage(e) {
  switch (e.Type) {
    case "Task Setup":
      return e.Message;
    case "Started":
      return "Task started by client";
    case "Received":
      return "Task received by client";
    case "Driver Failure":
      return e.DriverError || "Failed to start task";
    case "Killing":
      return (
        e.KillReason ||
        (e.KillTimeout
          ? `Sent interrupt. Waiting ${goDur(e.KillTimeout / 1e6)} before force killing`
          : "Sent interrupt")
      );
    case "Killed":
      return e.KillError || "Task successfully killed";
    case "Terminated": {
      const parts = [`Exit Code: ${e.ExitCode}`];
      if (e.Signal) parts.push(`Signal: ${e.Signal}`);
      if (e.Message) parts.push(`Exit Message: ${JSON.stringify(e.Message)}`);
      return parts.join(", ");
    }
    case "Restarting": {
      const inText = `Task restarting in ${goDur(e.StartDelay / 1e6)}`;
      return e.RestartReason && e.RestartReason !== "Restart within policy"
        ? `${e.RestartReason} - ${inText}`
        : inText;
    }
    case "Not Restarting":
      return e.RestartReason || "Task exceeded restart policy";
    case "Sibling Task Failed":
      return e.FailedSibling
        ? `Task's sibling ${JSON.stringify(e.FailedSibling)} failed`
        : "Task's sibling failed";
    default:
      return e.Message;
  }
}

/** Replaces ${VAR} from the task env and ${node.*}/${attr.*}/${meta.*} (client/taskenv Builder ReplaceEnv). */
export function interpolate(s, env, node) {
  if (typeof s !== "string") return s;
  return s.replace(/\$\{([^}]+)\}/g, (all, k) => {
    if (k in env) return env[k];
    const fixed = {
      "node.unique.id": node.ID,
      "node.datacenter": node.Datacenter,
      "node.unique.name": node.Name,
      "node.class": node.NodeClass,
      "node.region": node.Region,
    };
    if (k in fixed) return fixed[k];
    if (k.startsWith("attr.") && k.slice(5) in node.Attributes) return node.Attributes[k.slice(5)];
    if (k.startsWith("meta.") && k.slice(5) in node.Meta) return node.Meta[k.slice(5)];
    return all;
  });
}

/** The host env vars Nomad keeps out of tasks (client.options env.denylist default). */
const DENY = [
  "CONSUL_TOKEN",
  "CONSUL_HTTP_TOKEN",
  "CONSUL_HTTP_TOKEN_FILE",
  "NOMAD_TOKEN",
  "VAULT_TOKEN",
  "CONSUL_LICENSE",
  "NOMAD_LICENSE",
  "VAULT_LICENSE",
  "CONSUL_LICENSE_PATH",
  "NOMAD_LICENSE_PATH",
  "VAULT_LICENSE_PATH",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "GOOGLE_APPLICATION_CREDENTIALS",
];

/** The task environment of client/taskenv/env.go (the variables np and apps use). */
export function taskEnv(alloc, job, tg, task, node, dirs) {
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!DENY.includes(k) && !k.startsWith("NOMAD_DOUBLE_")) env[k] = v;
  const idx = /\[(\d+)\]$/.exec(alloc.Name)?.[1] ?? "0";
  Object.assign(env, {
    NOMAD_ALLOC_DIR: dirs.shared,
    NOMAD_TASK_DIR: path.join(dirs.task, "local"),
    NOMAD_SECRETS_DIR: path.join(dirs.task, "secrets"),
    NOMAD_MEMORY_LIMIT: String(task.Resources.MemoryMB),
    NOMAD_CPU_LIMIT: String(task.Resources.CPU),
    NOMAD_ALLOC_ID: alloc.ID,
    NOMAD_SHORT_ALLOC_ID: alloc.ID.slice(0, 8),
    NOMAD_ALLOC_NAME: alloc.Name,
    NOMAD_ALLOC_INDEX: idx,
    NOMAD_TASK_NAME: task.Name,
    NOMAD_GROUP_NAME: tg.Name,
    NOMAD_JOB_NAME: job.Name,
    NOMAD_JOB_ID: job.ID,
    NOMAD_JOB_PARENT_ID: job.ParentID ?? "",
    NOMAD_DC: node.Datacenter,
    NOMAD_NAMESPACE: job.Namespace,
    NOMAD_REGION: job.Region,
    NOMAD_NODE_ID: node.ID,
    NOMAD_NODE_NAME: node.Name,
  });
  for (const p of alloc.AllocatedResources?.Shared?.Ports ?? []) {
    const port = String(p.To > 0 ? p.To : p.Value);
    env[`NOMAD_IP_${p.Label}`] = p.HostIP;
    env[`NOMAD_PORT_${p.Label}`] = port;
    env[`NOMAD_ADDR_${p.Label}`] = `${p.HostIP}:${port}`;
    env[`NOMAD_HOST_IP_${p.Label}`] = p.HostIP;
    env[`NOMAD_HOST_PORT_${p.Label}`] = String(p.Value);
    env[`NOMAD_HOST_ADDR_${p.Label}`] = `${p.HostIP}:${p.Value}`;
    env[`NOMAD_ALLOC_PORT_${p.Label}`] = port;
  }
  for (const [k, v] of Object.entries({ ...job.Meta, ...tg.Meta, ...task.Meta })) {
    env[`NOMAD_META_${k}`] = String(v);
    env[`NOMAD_META_${k.toUpperCase()}`] = String(v);
  }
  for (const [k, v] of Object.entries(task.Env ?? {})) env[k] = interpolate(String(v), env, node);
  return env;
}

/** Runs one task: start, restart by policy, kill. `report()` is called whenever the TaskState changes. */
export class TaskRunner {
  constructor({ alloc, job, tg, task, node, dirs, report, restartOnSuccess }) {
    Object.assign(this, { alloc, job, tg, task, node, dirs, report, restartOnSuccess });
    this.state = {
      State: "pending",
      Failed: false,
      Restarts: 0,
      LastRestart: null,
      StartedAt: null,
      FinishedAt: null,
      Events: [],
    };
    this.policy = task.RestartPolicy ?? tg.RestartPolicy;
    this.count = 0;
    this.intervalStart = Date.now();
    this.killed = false;
  }
  emit(ev, state) {
    this.state.Events = [...this.state.Events, ev].slice(-10); // structs: at most 10 events are kept
    if (state) this.state.State = state;
    this.report();
  }
  start() {
    this.emit(taskEvent("Received"));
    for (const d of ["local", "secrets", "tmp"])
      fs.mkdirSync(path.join(this.dirs.task, d), { recursive: true });
    this.emit(
      taskEvent("Task Setup", { Message: "Building Task Directory" }, { message: "Building Task Directory" }),
    );
    const logs = this.task.LogConfig;
    this.out = new FileRotator(this.dirs.logs, this.task.Name, "stdout", logs.MaxFiles, logs.MaxFileSizeMB);
    this.err = new FileRotator(this.dirs.logs, this.task.Name, "stderr", logs.MaxFiles, logs.MaxFileSizeMB);
    this.run();
  }
  run() {
    if (this.killed) return;
    const env = taskEnv(this.alloc, this.job, this.tg, this.task, this.node, this.dirs);
    const cfg = this.task.Config ?? {};
    const command = interpolate(String(cfg.command ?? ""), env, this.node);
    const args = (cfg.args ?? []).map((a) => interpolate(String(a), env, this.node));
    if (!command) {
      this.fail(
        taskEvent("Driver Failure", {
          DriverError: "failed to launch command with executor: missing command",
        }),
      );
      return;
    }
    let child;
    try {
      child = spawn(command, args, {
        cwd: this.dirs.task,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      this.fail(taskEvent("Driver Failure", { DriverError: e.message }));
      return;
    }
    this.child = child;
    child.stdout.on("data", (d) => this.out.write(d));
    child.stderr.on("data", (d) => this.err.write(d));
    let spawned = false;
    child.once("spawn", () => {
      spawned = true;
      this.state.StartedAt = new Date().toISOString();
      this.emit(taskEvent("Started"), "running");
      this.onStarted?.();
    });
    child.once("error", (e) => {
      if (spawned) return;
      this.child = null;
      this.exitedHook?.();
      const msg = `failed to launch command with executor: rpc error: code = Unknown desc = exec: "${command}": ${e.code === "ENOENT" ? "executable file not found in $PATH" : e.message}`;
      this.afterExit(taskEvent("Driver Failure", { DriverError: msg }, { driver_error: msg }), false);
    });
    child.once("close", (code, signal) => {
      if (!spawned) return;
      this.child = null;
      this.exitedHook?.();
      const sig = signal ? (SIGNALS[signal] ?? 0) : 0;
      const exitCode = code ?? (sig ? 128 + sig : 0);
      const ev = taskEvent(
        "Terminated",
        { ExitCode: exitCode, Signal: sig },
        { exit_code: String(exitCode), signal: String(sig), oom_killed: "false" },
      );
      this.emit(ev);
      this.afterExit(null, exitCode === 0 && !sig);
    });
  }
  fail(ev) {
    this.afterExit(ev, false);
  }
  /** restarts.RestartTracker.GetState and TaskRunner.shouldRestart. */
  afterExit(startErr, success) {
    if (startErr) this.emit(startErr);
    if (this.killed) {
      this.finish(false);
      this.emit(taskEvent("Killed"));
      this.onDead?.();
      return;
    }
    const p = this.policy;
    if (Date.now() > this.intervalStart + p.Interval / 1e6) {
      this.count = 0;
      this.intervalStart = Date.now();
    }
    this.count++;
    let reason;
    let delay = 0;
    if (p.Attempts === 0) reason = "Policy allows no restarts";
    else if (success && !this.restartOnSuccess) {
      this.finish(false);
      this.onDead?.();
      return;
    } else if (this.count > p.Attempts) {
      if (p.Mode === "fail")
        reason = `Exceeded allowed attempts ${p.Attempts} in interval ${goDur(p.Interval / 1e6)} and mode is "fail"`;
      else {
        delay = this.intervalStart + p.Interval / 1e6 - Date.now();
        this.restart("Exceeded allowed attempts, applying a delay", delay);
        return;
      }
    } else {
      const d = p.Delay / 1e6 || 1e-6;
      delay = d + Math.floor(Math.random() * d) * 0.25;
      this.restart("Restart within policy", delay);
      return;
    }
    this.finish(true);
    this.emit(
      taskEvent(
        "Not Restarting",
        { RestartReason: reason, FailsTask: true },
        { restart_reason: reason, fails_task: "true" },
      ),
      "dead",
    );
    this.onDead?.();
  }
  restart(reason, delayMs) {
    const ns = Math.round(delayMs * 1e6);
    this.emit(
      taskEvent(
        "Restarting",
        { RestartReason: reason, StartDelay: ns },
        { restart_reason: reason, start_delay: String(ns) },
      ),
      "pending",
    );
    this.restartTimer = setTimeout(() => {
      this.state.Restarts++;
      this.state.LastRestart = new Date().toISOString();
      this.run();
    }, delayMs);
  }
  finish(failed) {
    this.state.State = "dead";
    this.state.Failed = failed;
    this.state.FinishedAt = new Date().toISOString();
    this.out?.close();
    this.err?.close();
  }
  /** TaskRunner.Kill + handleKill: shutdown_delay, then KillSignal, then SIGKILL after KillTimeout. */
  async kill(noShutdownDelay = false) {
    if (this.killed || this.state.State === "dead") return;
    this.killed = true;
    clearTimeout(this.restartTimer);
    const timeoutMs = this.task.KillTimeout / 1e6;
    this.emit(
      taskEvent("Killing", { KillTimeout: this.task.KillTimeout }, { kill_timeout: goDur(timeoutMs) }),
    );
    const delay = this.task.ShutdownDelay / 1e6;
    if (delay > 0) {
      const text = noShutdownDelay
        ? `Skipping shutdown_delay of ${goDur(delay)} before killing the task.`
        : `Waiting for shutdown_delay of ${goDur(delay)} before killing the task.`;
      this.emit(
        taskEvent(noShutdownDelay ? "Skipping shutdown delay" : "Waiting for shutdown delay", {
          DisplayMessage: text,
        }),
        "pending",
      );
      if (!noShutdownDelay) await new Promise((r) => setTimeout(r, delay));
    }
    const child = this.child;
    if (!child) {
      this.finish(false);
      this.emit(taskEvent("Killed"));
      this.onDead?.();
      return;
    }
    const done = new Promise((r) => child.once("close", r));
    const signal = this.task.KillSignal || "SIGINT";
    const send = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {}
      }
    };
    send(signal);
    const force = setTimeout(() => send("SIGKILL"), timeoutMs);
    await done;
    clearTimeout(force);
    await new Promise((r) => setImmediate(r));
  }
}

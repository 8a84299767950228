import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { shellJoin } from "../../src/remote/quote.js";
import { findProgram, missingRequirements } from "../../src/sandbox/requirements.js";
import { collectOutput, runNp } from "./run-np.js";

/** A sandbox started for a test file; `stop()` runs `np sandbox down` and is safe to call twice. */
export interface TestSandbox {
  name: string;
  inventoryFile: string;
  keyFile: string;
  nodes: { name: string; address: string }[];
  /** Output of the `np sandbox up` that started it. */
  upOutput: string;
  /** How long that `np sandbox up` took. */
  upMs: number;
  /** Runs argv on the node with this address (or name) over the system ssh client, as root or `user`. */
  ssh(node: string, argv: string[], user?: string): SshResult;
  stop(): Promise<void>;
}

export interface StartSandboxOptions {
  /** Distinct per test file (bridge np-<name>), e.g. `nptest-sbx`. */
  name: string;
  nodes?: number;
  small?: string[];
  /** Distinct per test file, e.g. 10.213.9.0/24, so test files never share addresses. */
  subnet: string;
}

/**
 * Why sandbox e2e tests cannot run on this host (not root, not Linux, tools missing), or null when they can.
 * Under CI (CI=true) a missing requirement is a failure, not a skip: it throws.
 */
export function canRunSandbox(): string | null {
  const missing = missingRequirements();
  if (process.platform === "linux" && !findProgram("ssh"))
    missing.push("the OpenSSH client (ssh) is not installed (Debian/Ubuntu package: openssh-client)");
  if (missing.length === 0) return null;
  const reason = `np sandbox cannot run here: ${missing.join("; ")}`;
  if (process.env.CI === "true" || process.env.CI === "1")
    throw new Error(`${reason} (CI must be able to run the sandbox e2e tests: see .ci/run)`);
  return reason;
}

/** Runs `np sandbox` with the built CLI; throws with np's output when it fails. */
export function npSandbox(args: string[], timeoutMs = 120_000): { stdout: string; stderr: string } {
  const r = runNp(["sandbox", ...args], { timeoutMs });
  if (r.code !== 0)
    throw new Error(`np sandbox ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Starts (or reuses) sandbox `name` with `np sandbox up`, as a user would, and returns how to reach its nodes. */
export async function startSandbox(opts: StartSandboxOptions): Promise<TestSandbox> {
  const inventoryFile = path.join(mkdtempSync(path.join(os.tmpdir(), `${opts.name}-`)), "inventory.yaml");
  const args = ["up", "--name", opts.name, "--subnet", opts.subnet, "--out", inventoryFile];
  if (opts.nodes !== undefined) args.push("--nodes", String(opts.nodes));
  for (const s of opts.small ?? []) args.push("--small", s);
  const started = Date.now();
  // The first run on a machine builds the base root with debootstrap (about a minute).
  const up = npSandbox(args, 15 * 60_000);
  const upMs = Date.now() - started;
  const status = JSON.parse(npSandbox(["status", "--name", opts.name, "--json"]).stdout) as {
    keyFile: string;
    nodes: { name: string; address: string }[];
  };
  const nodes = status.nodes.map((n) => ({ name: n.name, address: n.address }));
  return {
    name: opts.name,
    inventoryFile,
    keyFile: status.keyFile,
    nodes,
    ssh: (node, argv, user) => {
      const address = nodes.find((n) => n.name === node)?.address ?? node;
      return sshToNode(address, argv, { keyFile: status.keyFile, user });
    },
    upOutput: up.stdout + up.stderr,
    upMs,
    stop: async () => {
      npSandbox(["down", "--name", opts.name]);
    },
  };
}

/** Options for the system OpenSSH client (ssh, scp) to reach sandbox nodes: their keys change with every sandbox. */
export function opensshOptions(keyFile: string): string[] {
  return [
    "-i",
    keyFile,
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "BatchMode=yes",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=10",
    // OpenSSH's default key exchange (sntrup761x25519) costs ~90 ms of CPU per connection on these 2 cores, and
    // the e2e files open thousands (pollers every 200-500 ms): plain curve25519 cuts a connection's CPU to a third
    // (135 ms -> 46 ms measured) and changes nothing else the tests rely on.
    "-o",
    "KexAlgorithms=curve25519-sha256",
  ];
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `argv` on a node with the system OpenSSH client (not np's SSH code), so tests assert on the nodes
 * independently of np. Never throws; check `code`.
 */
export function sshToNode(
  address: string,
  argv: string[],
  opts: { keyFile: string; user?: string; timeoutMs?: number },
): SshResult {
  const r = spawnSync(
    "ssh",
    [...opensshOptions(opts.keyFile), `${opts.user ?? "root"}@${address}`, "--", shellJoin(argv)],
    { encoding: "utf8", timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** sshToNode without blocking this process's event loop (for loops that run while np works). Never throws. */
export function sshToNodeAsync(
  address: string,
  argv: string[],
  opts: { keyFile: string; user?: string; timeoutMs?: number },
): Promise<SshResult> {
  const child = spawn(
    "ssh",
    [...opensshOptions(opts.keyFile), `${opts.user ?? "root"}@${address}`, "--", shellJoin(argv)],
    { timeout: opts.timeoutMs ?? 60_000 },
  );
  return collectOutput(child);
}

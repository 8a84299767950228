import { execFile } from "node:child_process";
import { OperationError } from "../errors.js";

export interface ExecOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a local program with an argv array (never a shell) and returns stdout; failures keep stderr's tail. */
export function run(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        signal: opts.signal,
        timeout: opts.timeoutMs ?? 0,
        env: opts.env ?? { ...process.env, LC_ALL: "C", SYSTEMD_COLORS: "0" },
      },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const tail = (stderr || stdout || err.message).trim().split("\n").slice(-5).join("\n");
        reject(new OperationError(`${[file, ...args].join(" ")} failed: ${tail}`));
      },
    );
  });
}

import childProcess from "node:child_process";

/** What a finished command printed. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv (no shell) and collects its output, bounded in size and time; rejects when it cannot start. */
export function runCommand(argv: string[], timeoutMs = 10_000, maxBytes = 1024 * 1024): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error("runCommand: empty argv");
    const child = childProcess.spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) into.push(c);
      else child.kill("SIGKILL");
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
  });
}

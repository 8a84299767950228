import { Listr } from "listr2";
import type { Output } from "./output.js";

/** Reports progress of one host's work: `update` while running, the returned text when done. */
export type HostWork<T> = (update: (message: string) => void) => Promise<{ result: T; summary: string }>;

/**
 * Runs per-host work in parallel with live progress: a listr2 list on a terminal, plain `host: message` lines
 * otherwise (CI logs, pipes), nothing on stdout with --json. Errors are the work's to catch: each host's work
 * returns a result, so one host's failure never hides the others.
 */
export async function withHostProgress<T>(
  out: Output,
  hosts: readonly string[],
  work: (host: string) => HostWork<T>,
): Promise<Map<string, T>> {
  const results = new Map<string, T>();
  if (!out.interactive) {
    await Promise.all(
      hosts.map(async (host) => {
        const { result, summary } = await work(host)((m) => out.debug(`${host}: ${m}`));
        results.set(host, result);
        if (!out.json) out.host(host, summary);
      }),
    );
    return results;
  }
  await new Listr(
    hosts.map((host) => ({
      title: `${host}: waiting`,
      task: async (_ctx: unknown, task: { title: string }) => {
        const { result, summary } = await work(host)((m) => {
          task.title = `${host}: ${m}`;
        });
        results.set(host, result);
        task.title = `${host}: ${summary}`;
      },
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
  ).run();
  return results;
}

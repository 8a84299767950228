import type { JobRead, NomadApi } from "../api/nomad.js";
import type { AllocationListStub } from "../app/nomad-responses.js";
import { InputError } from "../errors.js";
import { readAllocLog } from "./alloc-log-reader.js";
import { readAppJob } from "./app-job.js";
import { linePrefix } from "./log-lines.js";
import type { LogSearch } from "./openobserve-search.js";
import { watchBlocking } from "./watch.js";

export interface LogsOptions {
  follow: boolean;
  stderr: boolean;
  task?: string;
  /** Lines per instance (with `sinceMs`: in all). */
  lines: number;
  /** Read history from OpenObserve, this far back. */
  sinceMs?: number;
}

/** Where `np logs` reads: Nomad's client fs logs, and OpenObserve for history. */
export interface LogsTarget {
  nomad: NomadApi;
  logSearch: () => Promise<LogSearch | null>;
}

/** The task whose log is shown: --task, else the group's only task (np's apps have one). */
export function logTask(job: JobRead, wanted: string | undefined): string {
  const tasks = job.TaskGroups.flatMap((g) => g.Tasks.map((t) => t.Name));
  if (wanted !== undefined) {
    if (!tasks.includes(wanted))
      throw new InputError(
        `${job.ID} has no task ${JSON.stringify(wanted)}`,
        [],
        `its tasks: ${tasks.join(", ")}`,
      );
    return wanted;
  }
  if (tasks.length === 1 && tasks[0]) return tasks[0];
  throw new InputError(
    `${job.ID} has ${tasks.length} tasks: say which`,
    [],
    `pass --task with one of ${tasks.join(", ")}`,
  );
}

/** The instances whose logs are shown: those Nomad wants running, oldest first. */
export const shownAllocations = (allocs: readonly AllocationListStub[]) =>
  allocs
    .filter((a) => a.DesiredStatus === "run" && a.ClientStatus !== "pending")
    .toSorted((a, b) => (a.CreateIndex ?? 0) - (b.CreateIndex ?? 0));

/**
 * `np logs APP`: every instance's task log, each line prefixed by its allocation and node. Without -f, the last
 * lines of each instance (instance after instance); with -f, then every new line as it comes, also from
 * instances that start later, until the signal aborts. With `sinceMs`, the history OpenObserve keeps first.
 */
export async function showLogs(
  target: LogsTarget,
  app: string,
  opts: LogsOptions,
  ctx: { print: (line: string) => void; signal: AbortSignal },
): Promise<void> {
  const { nomad } = target;
  const job = await readAppJob(nomad, app);
  const task = logTask(job, opts.task);
  const type = opts.stderr ? "stderr" : "stdout";
  const first = await nomad.jobAllocations(app);
  const nodes = new Map(first.body.map((a) => [a.ID, a.NodeName]));
  const emitFor = (a: { ID: string; NodeName: string }) => (lines: string[]) => {
    const prefix = linePrefix({ allocId: a.ID, node: a.NodeName });
    for (const l of lines) ctx.print(`${prefix}${l}`);
  };
  if (opts.sinceMs !== undefined) {
    const search = await target.logSearch();
    if (!search)
      throw new InputError(
        "--since reads OpenObserve, and the inventory has no observe host",
        [],
        "drop --since",
      );
    const now = Date.now();
    const records = await search.search({
      job: app,
      task,
      stream: type,
      startUs: (now - opts.sinceMs) * 1000,
      endUs: now * 1000 + 1,
      limit: opts.lines,
    });
    for (const r of records)
      ctx.print(
        `${linePrefix({ allocId: r.alloc_id, node: r.node || nodes.get(r.alloc_id) || "?" })}${r.message}`,
      );
    if (!opts.follow) return;
  }
  const initial = shownAllocations(first.body);
  // History came from OpenObserve: live instances continue from their end, without repeating lines.
  const tail = opts.sinceMs !== undefined ? 0 : opts.lines;
  if (!opts.follow) {
    const per = await Promise.all(
      initial.map(async (a) => {
        const lines: string[] = [];
        await readAllocLog(
          nomad,
          { allocId: a.ID, task, type, follow: false, tail, signal: ctx.signal },
          (l) => lines.push(...l),
        ).catch((err: Error) => {
          // One instance's node may be down: the others' logs are still shown.
          lines.push(`[np: cannot read this instance's log: ${err.message.split("\n")[0]}]`);
        });
        return { a, lines };
      }),
    );
    for (const { a, lines } of per) emitFor(a)(lines);
    return;
  }
  await followLogs(nomad, initial, { task, type, tail }, emitFor, ctx.signal, app);
}

/** -f: follows every shown instance, and each instance that starts later from its first line, until aborted. */
async function followLogs(
  nomad: NomadApi,
  initial: readonly AllocationListStub[],
  read: { task: string; type: "stdout" | "stderr"; tail: number },
  emitFor: (a: AllocationListStub) => (lines: string[]) => void,
  signal: AbortSignal,
  app: string,
): Promise<void> {
  const following = new Set<string>();
  const ended = new Set<string>();
  const start = (a: AllocationListStub, tail: number | undefined) => {
    following.add(a.ID);
    readAllocLog(nomad, { allocId: a.ID, ...read, follow: true, tail, signal }, emitFor(a))
      .catch(() => {})
      // A stream ends when its task is dead; a restarted task is picked up again at its end.
      .finally(() => {
        following.delete(a.ID);
        ended.add(a.ID);
      });
  };
  for (const a of initial) start(a, read.tail);
  await watchBlocking(
    (index, s) => nomad.jobAllocations(app, { index, signal: s }),
    (list) => {
      for (const a of shownAllocations(list)) {
        if (following.has(a.ID) || a.ClientStatus !== "running") continue;
        // A new instance is read from its first line; a restarted one from where its log is now.
        start(a, ended.has(a.ID) ? 0 : undefined);
      }
    },
    signal,
  ).catch((err: unknown) => {
    if (!signal.aborted) throw err;
  });
}

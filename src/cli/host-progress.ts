import type { HostOutcome, HostOutcomes, HostWork, Output } from "../output/port.js";

/** Where progress goes: rendered on `stderr`, so stdout stays free for the command's own output. */
export interface ProgressStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

type RunOne = (host: string, update: (message: string) => void) => Promise<{ ok: boolean; line: string }>;

/**
 * The CLI's `Output.hostProgress`: a live listr2 list on a terminal, plain `host: summary` lines otherwise
 * (CI logs, pipes), nothing with --json. Whatever one host's work throws, a plain `Error` or anything else, is
 * caught here and becomes that host's `failed` outcome, so no host is ever missing from the result.
 */
export async function runHostProgress<T>(
  out: Output,
  streams: ProgressStreams,
  hosts: readonly string[],
  work: (host: string) => HostWork<T>,
): Promise<HostOutcomes<T>> {
  const outcomes = new Map<string, HostOutcome<T>>();
  const runOne: RunOne = async (host, update) => {
    try {
      const { result, summary } = await work(host)(update);
      outcomes.set(host, { ok: true, result });
      return { ok: true, line: summary };
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      outcomes.set(host, { ok: false, error });
      return { ok: false, line: `failed: ${withoutHost(host, error.message)}` };
    }
  };
  if (out.interactive) await renderLive(hosts, runOne, streams, out.color);
  else
    await Promise.all(
      hosts.map(async (host) => {
        const { line } = await runOne(host, (m) => out.debug(`${host}: ${m}`));
        if (!out.json) out.host(host, line);
      }),
    );
  return new Map(hosts.map((h) => [h, outcomes.get(h) as HostOutcome<T>]));
}

/** A HostError's message already starts with its host; the progress line adds the host itself. */
function withoutHost(host: string, message: string): string {
  const first = message.split("\n")[0] ?? "";
  return first.startsWith(`${host}: `) ? first.slice(host.length + 2) : first;
}

async function renderLive(
  hosts: readonly string[],
  runOne: RunOne,
  streams: ProgressStreams,
  color: boolean,
): Promise<void> {
  // Loaded on use: only a terminal shows live progress, and listr2 would slow every other start.
  const { Listr } = await import("listr2");
  const rendererOptions = { ...(await listrRendererOptions(streams, color)), collapseErrors: true };
  await new Listr(
    hosts.map((host) => ({
      title: `${host}: waiting`,
      task: async (_ctx: unknown, task: { title: string }) => {
        const { ok, line } = await runOne(host, (m) => {
          task.title = `${host}: ${m}`;
        });
        task.title = `${host}: ${line}`;
        // Throwing marks the line failed (✖); the outcome is already recorded, and listr2 keeps going.
        if (!ok) throw new Error(task.title);
      },
    })),
    {
      concurrent: true,
      exitOnError: false,
      // Ctrl-C is np's to handle (it aborts the run and closes connections), not listr2's.
      registerSignalListeners: false,
      // np chose live progress (stderr is a terminal): listr2 would fall back when process.stdout is not one.
      renderer: "default",
      rendererOptions,
      fallbackRenderer: "default",
      fallbackRendererOptions: rendererOptions,
    },
  ).run();
}

/**
 * listr2's renderer options for np's live progress: drawn on stderr (stdout written meanwhile is held back and
 * printed after the list), without colours unless `color`. Loads listr2.
 */
export async function listrRendererOptions(streams: ProgressStreams, color: boolean) {
  const { LISTR_DEFAULT_RENDERER_STYLE, ListrLogger, ProcessOutput } = await import("listr2");
  const processOutput = new ProcessOutput(
    withWidth(streams.stderr) as NodeJS.WriteStream,
    streams.stdout as NodeJS.WriteStream,
  );
  const plain = Object.fromEntries(
    Object.keys(LISTR_DEFAULT_RENDERER_STYLE.color ?? {}).map((state) => [state, (text: string) => text]),
  );
  return { logger: new ListrLogger({ processOutput }), ...(color ? {} : { color: plain }) };
}

/** The stream, with 80 columns when it reports none: a terminal of width 0 (an unsized pty) wraps every character. */
function withWidth(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  return new Proxy(stream, {
    get: (target, prop, receiver) =>
      prop === "columns" ? Reflect.get(target, prop) || 80 : Reflect.get(target, prop, receiver),
  });
}

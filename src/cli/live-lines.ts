import type { LiveLines, Output } from "../output/port.js";
import { listrRendererOptions, type ProgressStreams } from "./host-progress.js";

/**
 * The CLI's `Output.liveLines`: on a terminal a listr2 task whose title and output block are redrawn in place
 * (drawn on stderr, stdout held back meanwhile); otherwise plain lines, each printed once when it changes (CI
 * logs, pipes); nothing with --json.
 */
export function liveLines(out: Output, streams: ProgressStreams, title: string): LiveLines {
  if (out.json) return { update: () => {}, end: async () => {} };
  if (!out.interactive) return plainLines(out, title);
  return terminalLines(streams, title, out.color);
}

function plainLines(out: Output, firstTitle: string): LiveLines {
  let shownTitle = "";
  const shown = new Set<string>();
  const show = (title: string, lines: readonly string[]) => {
    if (title !== shownTitle) out.info(title);
    shownTitle = title;
    for (const l of lines) {
      if (!shown.has(l)) out.info(`  ${l}`);
      shown.add(l);
    }
  };
  show(firstTitle, []);
  return {
    update: show,
    end: async (_ok, title, lines) => show(title, lines),
  };
}

function terminalLines(streams: ProgressStreams, firstTitle: string, color: boolean): LiveLines {
  type Task = { title: string; output: string };
  let task: Task | undefined;
  let state = { title: firstTitle, lines: [] as readonly string[] };
  let finish: (ok: boolean) => void = () => {};
  const finished = new Promise<boolean>((resolve) => {
    finish = resolve;
  });
  const draw = () => {
    if (!task) return;
    task.title = state.title;
    task.output = state.lines.join("\n");
  };
  const run = (async () => {
    // Loaded on use: only a terminal shows live progress, and listr2 would slow every other start.
    const { Listr } = await import("listr2");
    const rendererOptions = await listrRendererOptions(streams, color);
    await new Listr(
      [
        {
          title: firstTitle,
          task: async (_ctx: unknown, t: Task) => {
            task = t;
            draw();
            const ok = await finished;
            draw();
            if (!ok) throw new Error(state.title);
          },
          rendererOptions: { outputBar: 1, persistentOutput: true },
        },
      ],
      {
        exitOnError: false,
        registerSignalListeners: false,
        renderer: "default",
        rendererOptions,
        fallbackRenderer: "default",
        fallbackRendererOptions: rendererOptions,
      },
    )
      .run()
      .catch(() => {});
  })();
  return {
    update: (title, lines) => {
      state = { title, lines };
      draw();
    },
    end: async (ok, title, lines) => {
      state = { title, lines };
      finish(ok);
      await run;
    },
  };
}

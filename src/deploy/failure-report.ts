import type { NomadApi } from "../api/nomad.js";
import type { InstanceProgress } from "../app/deployment-summary.js";
import { LineSplitter, tailLines } from "./log-lines.js";

/** How much of a failed instance's stderr np shows. */
const STDERR_LINES = 10;
const STDERR_BYTES = 8 * 1024;
/** At most this many failed instances are explained (the others failed the same way, most likely). */
const EXPLAINED = 3;

/** The last lines of a task's stderr, read back through Nomad (plain log, from the end). */
export async function stderrTail(
  nomad: NomadApi,
  allocId: string,
  task: string,
  lines = STDERR_LINES,
): Promise<string[]> {
  const body = await nomad.logs(allocId, {
    task,
    type: "stderr",
    origin: "end",
    offset: STDERR_BYTES,
    plain: true,
  });
  const split = new LineSplitter();
  const all: string[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    bytes += (chunk as Buffer).length;
    all.push(...split.pushBytes(chunk as Buffer));
  }
  const rest = split.flush();
  if (rest !== undefined) all.push(rest);
  return tailLines(all, lines, bytes < STDERR_BYTES);
}

/**
 * Why instances failed, as lines for the user: per failed instance its state, its last task events (Nomad's
 * DisplayMessage) and the tail of its stderr. Env values never appear: Nomad's events do not carry them.
 */
export async function explainFailedInstances(
  nomad: NomadApi,
  instances: readonly InstanceProgress[],
  task: string,
): Promise<string[]> {
  const failed = instances.filter((i) => i.failed);
  const shown = failed.slice(0, EXPLAINED);
  const parts = await Promise.all(
    shown.map(async (i) => {
      const lines = [`instance ${i.line}`];
      if (i.events.length > 0) lines.push("  task events:", ...i.events.map((e) => `    ${e}`));
      try {
        const tail = await stderrTail(nomad, i.id, task);
        if (tail.length === 0) lines.push("  stderr: (empty)");
        else lines.push(`  stderr (last ${tail.length} lines):`, ...tail.map((l) => `    ${l}`));
      } catch (err) {
        lines.push(`  stderr: cannot be read: ${(err as Error).message.split("\n")[0]}`);
      }
      return lines;
    }),
  );
  const more = failed.length - shown.length;
  return [...parts.flat(), ...(more > 0 ? [`(${more} more failed instance${more === 1 ? "" : "s"})`] : [])];
}

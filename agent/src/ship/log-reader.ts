import path from "node:path";
import type { Problems } from "../problems.js";
import type { AllocMeta } from "../report/collect.js";
import { discoverLogGroups, type LogGroup } from "./alloc-logs.js";
import type { Line } from "./lines.js";
import { tailGroup } from "./log-tailer.js";
import { type Batcher, type Pipeline, SpoolError } from "./pipeline.js";
import type { FileCursor } from "./state.js";

/** A Nomad log line as shipped to the `nomad_logs` stream. */
export interface LogRecord {
  _timestamp: number;
  node: string;
  alloc_id: string;
  job: string;
  group: string;
  task: string;
  stream: "stdout" | "stderr";
  message: string;
  truncated?: true;
}

/** Reads every allocation's log files each interval and spools their new lines. */
export class AllocLogReader {
  /** Log streams (task x stdout/stderr) seen in the last scan. */
  groupsSeen = 0;
  private passes = 0;

  constructor(
    private readonly allocDir: string,
    private readonly node: string,
    private readonly stream: string,
    private readonly pipeline: Pipeline,
    private readonly allocMeta: ReadonlyMap<string, AllocMeta>,
    private readonly problems: Problems,
    private readonly budgetBytes = 8 * 1024 * 1024,
  ) {}

  /** One pass over the alloc dir; throws only when spooling fails (then nothing of this pass is committed). */
  async readOnce(): Promise<void> {
    const found = await discoverLogGroups(this.allocDir);
    const failing = new Set<string>();
    for (const e of found.errors) {
      failing.add(`file:${e.path}`);
      this.problems.set(`file:${e.path}`, "error", `cannot read: ${e.message}`);
    }
    this.groupsSeen = found.groups.length;
    const batch = this.pipeline.batcher(this.stream);
    let budget = this.budgetBytes;
    // Start each pass at a different stream, so one busy task cannot starve the others of the read budget.
    const start = found.groups.length ? this.passes++ % found.groups.length : 0;
    const order = [...found.groups.slice(start), ...found.groups.slice(0, start)];
    for (const g of order) {
      if (budget <= 0) break;
      const id = `file:${path.join(this.allocDir, g.key)}`;
      try {
        const out = await tailGroup(
          g,
          this.pipeline.state.files[g.key],
          (chunk) => batch.add(this.records(g, chunk.lines), { files: { [g.key]: chunk.cursor } }),
          { budgetBytes: budget },
        );
        budget -= out.bytesRead;
        for (const w of out.warnings) this.problems.set(`logs:${g.key}`, "warning", w);
        await this.keepCursor(batch, g.key, out.cursor);
        this.problems.clear(id);
      } catch (err) {
        if (err instanceof SpoolError) throw err;
        failing.add(id);
        this.problems.set(id, "error", (err as Error).message);
      }
    }
    // Allocations Nomad garbage-collected: their directories are gone, and so are their cursors. Not when the alloc
    // dir itself was unreadable: forgetting every cursor then would ship everything again once it is readable.
    const gone: Record<string, null> = {};
    const listed = !found.errors.some((e) => e.path === this.allocDir);
    for (const key of listed ? Object.keys(this.pipeline.state.files) : [])
      if (!found.allocIds.has(key.slice(0, key.indexOf("/")))) gone[key] = null;
    if (Object.keys(gone).length) await batch.add([], { files: gone });
    await batch.flush();
    this.problems.clearPrefix("file:", failing);
  }

  /** A cursor that moved without emitting lines (a new file opened, rotation) is committed too. */
  private async keepCursor(batch: Batcher, key: string, cursor: FileCursor) {
    const known = batch.pendingFile(key) ?? this.pipeline.state.files[key];
    const same =
      known &&
      known.index === cursor.index &&
      known.inode === cursor.inode &&
      known.born === cursor.born &&
      known.offset === cursor.offset &&
      known.skipping === cursor.skipping;
    if (!same) await batch.add([], { files: { [key]: cursor } });
  }

  private records(g: LogGroup, lines: Line[]): LogRecord[] {
    const meta = this.allocMeta.get(g.allocId);
    const now = Date.now() * 1000;
    return lines.map((l) => ({
      _timestamp: now,
      node: this.node,
      alloc_id: g.allocId,
      job: meta?.job ?? "",
      group: meta?.group ?? "",
      task: g.task,
      stream: g.stream,
      message: l.text,
      ...(l.truncated ? { truncated: true as const } : {}),
    }));
  }
}

import path from "node:path";
import { readText, rename } from "../fsp.js";
import { writeFileAtomic } from "./atomic-file.js";

/** Where reading of one Nomad log stream (alloc/task/stdout|stderr) has got to. */
export interface FileCursor {
  /** The <n> of <task>.<stream>.<n> being read. */
  index: number;
  /** Its inode (0 until first opened): a different inode under the same name is a new file. */
  inode: number;
  /** Its birth time in ms (statx), 0 where the filesystem has none: inode numbers are reused at once. */
  born?: number;
  /** Bytes consumed: everything before it is in a spooled batch; a partial last line is not consumed. */
  offset: number;
  /** Inside an over-long line whose head was already shipped: bytes are skipped up to its newline. */
  skipping: boolean;
}

/** Everything the agent has read and spooled, persisted in <stateDir>/offsets.json. */
export interface ShipState {
  v: 1;
  /** The sequence number of the last spooled batch whose cursors this state includes. */
  seq: number;
  /** Keyed by "<alloc_id>/<task>.<stdout|stderr>". */
  files: Record<string, FileCursor>;
  /** The journal cursor (__CURSOR) of the last journal entry spooled. */
  journalCursor: string | null;
}

/** The cursor changes one spooled batch carries; applying it moves the state past the batch's records. */
export interface StateDelta {
  files?: Record<string, FileCursor | null>;
  journalCursor?: string;
}

/** A state with nothing read yet. */
export const emptyState = (): ShipState => ({ v: 1, seq: 0, files: {}, journalCursor: null });

/** Applies a batch's delta (null removes a file's cursor: its allocation is gone). */
export function applyDelta(state: ShipState, delta: StateDelta, seq: number): void {
  for (const [k, c] of Object.entries(delta.files ?? {})) {
    if (c === null) delete state.files[k];
    else state.files[k] = { ...c };
  }
  if (delta.journalCursor !== undefined) state.journalCursor = delta.journalCursor;
  state.seq = Math.max(state.seq, seq);
}

function isCursor(v: unknown): v is FileCursor {
  const c = v as FileCursor;
  return (
    typeof c === "object" &&
    c !== null &&
    Number.isInteger(c.index) &&
    Number.isInteger(c.inode) &&
    Number.isInteger(c.offset) &&
    c.offset >= 0 &&
    typeof c.skipping === "boolean"
  );
}

/** Checks a parsed offsets document; throws on anything that is not one. */
export function parseState(doc: unknown): ShipState {
  const d = doc as ShipState;
  if (typeof d !== "object" || d === null || d.v !== 1 || !Number.isInteger(d.seq))
    throw new Error("not an np-agent offsets file (v 1)");
  const files: Record<string, FileCursor> = {};
  for (const [k, c] of Object.entries(d.files ?? {})) {
    if (!isCursor(c)) throw new Error(`bad cursor for ${k}`);
    files[k] = c;
  }
  if (d.journalCursor !== null && typeof d.journalCursor !== "string") throw new Error("bad journalCursor");
  return { v: 1, seq: d.seq, files, journalCursor: d.journalCursor };
}

/** Loads and saves the offsets file atomically. */
export class StateStore {
  readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, "offsets.json");
  }

  /**
   * Loads the state; a missing file is a first start. An unreadable one is moved aside (so it can be inspected)
   * and reading starts over, which may ship some lines twice: the returned warning says so.
   */
  async load(): Promise<{ state: ShipState; warning: string | null }> {
    let text: string;
    try {
      text = await readText(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: emptyState(), warning: null };
      throw err;
    }
    try {
      return { state: parseState(JSON.parse(text)), warning: null };
    } catch (err) {
      const aside = `${this.file}.bad-${Date.now()}`;
      await rename(this.file, aside);
      return {
        state: emptyState(),
        warning: `${this.file} was unreadable (${(err as Error).message}): moved to ${aside}, reading starts over`,
      };
    }
  }

  /** Saves the state (temporary file, fsync, rename). */
  async save(state: ShipState): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(state));
  }
}

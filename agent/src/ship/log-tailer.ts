import path from "node:path";
import { OpenFile } from "../fsp.js";
import type { LogGroup } from "./alloc-logs.js";
import { type Line, MAX_LINE_BYTES, splitLines } from "./lines.js";
import type { FileCursor } from "./state.js";

/** Lines read from one file, and the cursor just after them. */
export interface TailChunk {
  lines: Line[];
  cursor: FileCursor;
}

/** How a read of one group ended. */
export interface TailOutcome {
  cursor: FileCursor;
  bytesRead: number;
  /** Things the operator should know: rotated-away data, truncations, replaced files. */
  warnings: string[];
}

export interface TailOptions {
  /** Stop after reading this many bytes (the rest waits for the next interval). */
  budgetBytes: number;
  /** Bytes per read (must exceed maxLine). */
  chunkBytes?: number;
  maxLine?: number;
}

const fresh = (index: number): FileCursor => ({ index, inode: 0, born: 0, offset: 0, skipping: false });

/**
 * Reads what is new in one task's numbered log files, from the cursor on, and hands each chunk's complete lines
 * to `emit` with the cursor after them (so whoever persists the cursor persists exactly what was emitted).
 *
 * Nomad's rotation: the task writes <task>.<stream>.<n>; past its size limit Nomad starts <n+1> and deletes the
 * oldest. Once a higher index exists, <n> gets no more writes, so it is read to its end (a last line without a
 * newline included) before moving on. Under the same name, a new inode means a new file (read from 0), and a file
 * shorter than the cursor was truncated (read again from 0, and said).
 */
export async function tailGroup(
  group: LogGroup,
  cursor: FileCursor | undefined,
  emit: (chunk: TailChunk) => Promise<void>,
  opts: TailOptions,
): Promise<TailOutcome> {
  const indices = [...group.files.keys()].sort((a, b) => a - b);
  const warnings: string[] = [];
  const maxLine = opts.maxLine ?? MAX_LINE_BYTES;
  const buf = Buffer.allocUnsafe(Math.max(opts.chunkBytes ?? 256 * 1024, maxLine * 2));
  const name = (i: number) => `${group.allocId}/alloc/logs/${group.task}.${group.stream}.${i}`;
  const first = indices[0];
  if (first === undefined) return { cursor: cursor ?? fresh(0), bytesRead: 0, warnings };
  let cur: FileCursor = cursor ? { ...cursor } : fresh(first);
  let bytesRead = 0;

  while (bytesRead < opts.budgetBytes) {
    const later = indices.find((i) => i > cur.index);
    const file = group.files.get(cur.index);
    const fh = file === undefined ? null : await openIfPresent(file);
    if (!fh) {
      if (later === undefined) break; // nothing written yet, or everything deleted
      if (cursor) {
        const what = cur.offset > 0 ? `after byte ${cur.offset} ` : "";
        warnings.push(`${name(cur.index)} was deleted before it was read: its lines ${what}are lost`);
      }
      cur = fresh(later);
      continue;
    }
    let atEnd = false;
    try {
      const st = await fh.stat();
      const born = Math.round(st.birthtimeMs || 0);
      const other = st.ino !== cur.inode || (born > 0 && (cur.born ?? 0) > 0 && born !== cur.born);
      if (cur.inode !== 0 && other) {
        warnings.push(`${name(cur.index)} was replaced by a new file: reading the new one from the start`);
        cur = fresh(cur.index);
      }
      cur.inode = st.ino;
      cur.born = born;
      if (st.size < cur.offset) {
        warnings.push(
          `${name(cur.index)} was truncated (${st.size} < ${cur.offset} bytes): reading it from the start`,
        );
        cur = { ...fresh(cur.index), inode: st.ino, born };
      }
      // A file with a successor is complete: its last line counts even without a newline.
      const final = later !== undefined;
      while (bytesRead < opts.budgetBytes) {
        const { bytesRead: n } = await fh.read(buf, 0, buf.length, cur.offset);
        bytesRead += n;
        if (n === 0) {
          atEnd = true;
          break;
        }
        const eof = n < buf.length;
        const r = splitLines(buf.subarray(0, n), cur.skipping, final && eof, maxLine);
        cur = { ...cur, offset: cur.offset + r.consumed, skipping: r.skipping };
        if (r.consumed > 0) await emit({ lines: r.lines, cursor: { ...cur } });
        if (eof) {
          atEnd = true;
          break;
        }
      }
    } finally {
      await fh.close();
    }
    if (!atEnd || later === undefined) break;
    if (later > cur.index + 1)
      warnings.push(
        `${name(cur.index + 1)} to .${later - 1} were deleted before they were read: their lines are lost`,
      );
    cur = fresh(later);
  }
  return { cursor: cur, bytesRead, warnings };
}

async function openIfPresent(file: string) {
  try {
    return await OpenFile.open(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read ${path.basename(file)}: ${(err as Error).message}`);
  }
}

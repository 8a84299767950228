import { StringDecoder } from "node:string_decoder";
import type { LogFrame } from "./log-frames.js";

/** Where a line comes from: the allocation (short ID) and its node, printed before every line. */
export interface LineSource {
  allocId: string;
  node: string;
}

/** `5fc98185 node1 | `: every line of `np logs` starts with its allocation and node. */
export function linePrefix(source: LineSource): string {
  return `${source.allocId.slice(0, 8)} ${source.node} | `;
}

/** What np prints in place of lines it cannot show (Nomad truncated or deleted the file it was reading). */
export function fileEventNote(event: string, file: string | undefined): string {
  const name = file ? file.replace(/^alloc\/logs\//, "") : "the log file";
  return event === "file truncated"
    ? `[np: ${name} was truncated; reading it again from its start]`
    : `[np: ${name}: ${event}]`;
}

/**
 * Turns one task stream's frames into lines: bytes split on "\n" (a line cut between frames is joined), UTF-8
 * decoded across frames, a trailing "\r" dropped. A FileEvent ends the line being read (it will not continue)
 * and adds a note.
 */
export class LineSplitter {
  private decoder = new StringDecoder("utf8");
  private partial = "";

  /** The complete lines in this frame (and notes for file events), oldest first. */
  push(frame: LogFrame): string[] {
    const lines: string[] = [];
    if (frame.fileEvent) {
      const rest = this.flush();
      if (rest !== undefined) lines.push(rest);
      lines.push(fileEventNote(frame.fileEvent, frame.file));
    }
    if (frame.data) lines.push(...this.pushText(this.decoder.write(frame.data)));
    return lines;
  }

  /** Lines in raw bytes (a plain log body). */
  pushBytes(data: Buffer): string[] {
    return this.pushText(this.decoder.write(data));
  }

  /** The unfinished last line, if any (at the end of the stream). */
  flush(): string | undefined {
    const rest = this.partial + this.decoder.end();
    this.decoder = new StringDecoder("utf8");
    this.partial = "";
    return rest === "" ? undefined : rest.replace(/\r$/, "");
  }

  private pushText(text: string): string[] {
    const parts = (this.partial + text).split("\n");
    this.partial = parts.pop() ?? "";
    return parts.map((l) => l.replace(/\r$/, ""));
  }
}

/** The last `n` of `lines`; when the read began inside the file (`fromStart` false), its first line is cut. */
export function tailLines(lines: readonly string[], n: number, fromStart: boolean): string[] {
  const whole = fromStart ? lines : lines.slice(1);
  return n <= 0 ? [] : whole.slice(-n);
}

/** How many bytes back from the end to read for the last `n` lines (a guess; at least 16 KiB, at most 1 MiB). */
export function tailBytes(n: number): number {
  return Math.min(1024 * 1024, Math.max(16 * 1024, n * 256));
}

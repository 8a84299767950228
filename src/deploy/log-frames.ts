/**
 * Nomad's framed log stream (`GET /v1/client/fs/logs/:alloc` without plain): JSON objects back to back with no
 * separator, `{"Offset","Data"(base64),"File","FileEvent"}` each omitempty; `{}` is a heartbeat
 * (client/lib/streamframer/framer.go). Chunks from the network may cut a frame anywhere.
 */

/** One decoded frame; heartbeats are reported so a reader can tell "caught up" from "still sending". */
export interface LogFrame {
  /** The file offset after Data. */
  offset?: number;
  data?: Buffer;
  /** `alloc/logs/web.stdout.0` */
  file?: string;
  /** `file truncated` or `file deleted`: what was read of `file` before no longer continues. */
  fileEvent?: string;
  heartbeat: boolean;
}

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Decodes frames from chunks as they arrive; a frame cut between chunks is completed by the next. */
export class LogFrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Where the scan of `pending` stopped (everything before it is inside the current frame). */
  private scanned = 0;

  /** The complete frames in this chunk (and what was left of earlier ones). Throws on text that is not frames. */
  push(chunk: Buffer): LogFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: LogFrame[] = [];
    let start = 0;
    for (let i = this.scanned; i < this.pending.length; i++) {
      const c = this.pending[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN) this.depth++;
      else if (c === CLOSE) {
        this.depth--;
        if (this.depth === 0) {
          frames.push(parseFrame(this.pending.subarray(start, i + 1)));
          start = i + 1;
        } else if (this.depth < 0) throw new Error("log stream: unbalanced braces");
      } else if (this.depth === 0 && !isSpace(c)) {
        throw new Error(`log stream: unexpected text between frames: ${this.pending.subarray(i, i + 40)}`);
      }
    }
    this.pending = this.pending.subarray(start);
    this.scanned = this.pending.length;
    return frames;
  }

  /** True when the stream ended in the middle of a frame. */
  get incomplete(): boolean {
    return this.pending.some((c) => !isSpace(c));
  }
}

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function parseFrame(bytes: Buffer): LogFrame {
  const raw = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  const frame: LogFrame = { heartbeat: Object.keys(raw).length === 0 };
  if (typeof raw.Offset === "number") frame.offset = raw.Offset;
  if (typeof raw.Data === "string" && raw.Data !== "") frame.data = Buffer.from(raw.Data, "base64");
  if (typeof raw.File === "string") frame.file = raw.File;
  if (typeof raw.FileEvent === "string" && raw.FileEvent !== "") frame.fileEvent = raw.FileEvent;
  return frame;
}

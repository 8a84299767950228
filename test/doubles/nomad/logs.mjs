// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): task log files and the client fs logs stream.
// - FileRotator after client/logmon/logging/rotator.go: writes <task>.<stdout|stderr>.<n> under alloc/logs,
//   starts a new index n+1 when the next write would pass MaxFileSizeMB (keeping lines whole where it can, like
//   Nomad's), and deletes the oldest beyond MaxFiles.
// - streamLogs after client/fs_endpoint.go logs()/streamFile and client/lib/streamframer/framer.go: frames
//   {"Offset","Data"(base64),"File","FileEvent"} (omitempty) concatenated with no separator, Offset the file offset
//   after Data, data batched for 200 ms and at most 64 KiB a frame, `{}` heartbeats every second while following,
//   "file truncated" when a file shrinks, moving on to index n+1 when it appears; plain=true streams raw bytes.
import fs from "node:fs";
import path from "node:path";

const FRAME_MAX = 64 * 1024;
/** rotator.go lineScanLimit: how close to a file's end the rotator looks for a newline. */
const LINE_SCAN_LIMIT = 32 * 1024;
const BATCH_MS = 200;
const HEARTBEAT_MS = 1000;

export const logName = (task, type, n) => `${task}.${type}.${n}`;

/** Indexes of <task>.<type>.<n> files present in dir, ascending. */
export function logIndexes(dir, task, type) {
  const re = new RegExp(`^${task.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.${type}\\.(\\d+)$`);
  let names = [];
  try {
    names = fs.readdirSync(dir);
  } catch {}
  return names
    .map((n) => re.exec(n)?.[1])
    .filter((x) => x !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Nomad's log rotator for one stream of one task. */
export class FileRotator {
  constructor(dir, task, type, maxFiles, maxFileSizeMB) {
    this.dir = dir;
    this.task = task;
    this.type = type;
    this.maxFiles = Math.max(1, maxFiles);
    this.fileSize = Math.max(1, maxFileSizeMB) * 1024 * 1024;
    fs.mkdirSync(dir, { recursive: true });
    const have = logIndexes(dir, task, type);
    this.index = have.length ? have[have.length - 1] : 0;
    this.open();
  }
  open() {
    const file = path.join(this.dir, logName(this.task, this.type, this.index));
    this.fd = fs.openSync(file, "a");
    this.size = fs.fstatSync(this.fd).size;
  }
  /**
   * FileRotator.Write (rotator.go): near the end of a file (within lineScanLimit, 32 KiB) it avoids splitting a
   * line between two files: it writes up to the next newline if that fits, else rotates first; only data with no
   * newline that would not fit in a fresh file either is split.
   */
  write(buf) {
    let at = 0;
    while (at < buf.length) {
      if (this.size >= this.fileSize) this.rotate();
      const space = this.fileSize - this.size;
      const left = buf.length - at;
      let n = left;
      if (space - LINE_SCAN_LIMIT < left) {
        const nl = buf.indexOf(0x0a, at);
        const idx = nl < 0 ? -1 : nl - at;
        if (idx >= 0 && space - idx - 1 >= 0) n = idx + 1;
        else if (idx >= 0 && this.size > 0) {
          this.size = this.fileSize; // force a rotation: the line goes whole into the next file
          continue;
        } else if (
          idx < 0 &&
          !(left > this.fileSize || this.fileSize - LINE_SCAN_LIMIT < 0) &&
          this.size > 0
        ) {
          this.size = this.fileSize;
          continue;
        } else n = Math.min(space, left);
      }
      fs.writeSync(this.fd, buf, at, n);
      this.size += n;
      at += n;
    }
  }
  rotate() {
    fs.closeSync(this.fd);
    this.index++;
    this.open();
    // purgeOldFiles: keep the newest MaxFiles indexes
    const have = logIndexes(this.dir, this.task, this.type);
    for (const i of have.slice(0, Math.max(0, have.length - this.maxFiles)))
      fs.rmSync(path.join(this.dir, logName(this.task, this.type, i)), { force: true });
  }
  close() {
    try {
      fs.closeSync(this.fd);
    } catch {}
  }
}

/**
 * Streams a task's logs to `res` (an http.ServerResponse) until the client goes away, or the end of the
 * files when not following. `isDone()` tells when the task is dead (Nomad stops following then).
 */
export async function streamLogs(res, { dir, task, type, follow, origin, offset, plain, isDone }) {
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  let pending = [];
  let pendingBytes = 0;
  let lastSend = Date.now();
  const send = (s) => {
    if (!closed) res.write(s);
    lastSend = Date.now();
  };
  const flush = () => {
    for (const f of pending) {
      if (plain) {
        if (f.Data) send(f.Data);
        continue;
      }
      const o = {};
      if (f.Offset) o.Offset = f.Offset;
      if (f.Data?.length) o.Data = f.Data.toString("base64");
      if (f.File) o.File = f.File;
      if (f.FileEvent) o.FileEvent = f.FileEvent;
      send(JSON.stringify(o));
    }
    pending = [];
    pendingBytes = 0;
  };
  const push = (frame) => {
    const last = pending[pending.length - 1];
    if (
      last &&
      frame.Data &&
      last.Data &&
      last.File === frame.File &&
      last.Data.length + frame.Data.length <= FRAME_MAX
    ) {
      last.Data = Buffer.concat([last.Data, frame.Data]);
      last.Offset = frame.Offset;
    } else pending.push(frame);
    pendingBytes += frame.Data?.length ?? 0;
    if (pendingBytes >= FRAME_MAX) flush();
  };
  // where to start: origin=end counts `offset` bytes back from the end, across rotated files
  const have = logIndexes(dir, task, type);
  let idx = have.length ? have[0] : 0;
  let pos = offset;
  if (origin === "end") {
    let back = offset;
    idx = have.length ? have[have.length - 1] : 0;
    pos = 0;
    for (let k = have.length - 1; k >= 0; k--) {
      const size = fs.statSync(path.join(dir, logName(task, type, have[k]))).size;
      idx = have[k];
      if (back <= size) {
        pos = size - back;
        break;
      }
      back -= size;
      pos = 0;
    }
  }
  while (!closed) {
    const rel = `alloc/logs/${logName(task, type, idx)}`;
    const file = path.join(dir, logName(task, type, idx));
    let size = -1;
    try {
      size = fs.statSync(file).size;
    } catch {}
    if (size >= 0 && size < pos) {
      push({ File: rel, FileEvent: "file truncated" });
      pos = 0;
    }
    if (size > pos) {
      const fd = fs.openSync(file, "r");
      try {
        while (pos < size) {
          const buf = Buffer.alloc(Math.min(FRAME_MAX, size - pos));
          const n = fs.readSync(fd, buf, 0, buf.length, pos);
          if (n <= 0) break;
          pos += n;
          push({ File: rel, Offset: pos, Data: buf.subarray(0, n) });
        }
      } finally {
        fs.closeSync(fd);
      }
      continue;
    }
    const next = logIndexes(dir, task, type).find((i) => i > idx);
    if (next !== undefined) {
      idx = next;
      pos = 0;
      continue;
    }
    if (!follow || isDone()) break;
    if (pending.length) flush();
    if (!plain && Date.now() - lastSend >= HEARTBEAT_MS) send("{}");
    await wait(BATCH_MS);
  }
  flush();
  res.end();
}

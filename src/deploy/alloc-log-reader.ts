import type { NomadApi } from "../api/nomad.js";
import { LogFrameDecoder } from "./log-frames.js";
import { LineSplitter, tailBytes, tailLines } from "./log-lines.js";

/** Which part of one allocation's task log to read. */
export interface AllocLogRead {
  allocId: string;
  task: string;
  type: "stdout" | "stderr";
  /** Keep reading as the task writes (until it is dead or the signal aborts). */
  follow: boolean;
  /** Start with the last `tail` lines (undefined: from the start of the log). */
  tail?: number;
  signal: AbortSignal;
}

/** In follow mode, the lines already in the log end (and are cut to `tail`) at the first heartbeat or after this. */
const BACKLOG_MS = 1500;

/**
 * Reads one allocation's task log from Nomad's framed log stream and hands over complete lines, in order. With
 * `tail`, it reads that many lines back from the end first (the bytes are a guess, so the first, cut line is
 * dropped unless the read reached the start of the log). Resolves when the stream ends.
 */
export async function readAllocLog(
  nomad: NomadApi,
  req: AllocLogRead,
  emit: (lines: string[]) => void,
): Promise<void> {
  const offset = req.tail === undefined ? undefined : tailBytes(req.tail);
  const body = await nomad.logs(req.allocId, {
    task: req.task,
    type: req.type,
    follow: req.follow,
    ...(offset !== undefined && { origin: "end" as const, offset }),
    signal: req.signal,
  });
  const decoder = new LogFrameDecoder();
  const split = new LineSplitter();
  let backlog: string[] | undefined = req.tail === undefined ? undefined : [];
  let bytes = 0;
  const endBacklog = () => {
    if (!backlog) return;
    const lines = tailLines(backlog, req.tail ?? 0, offset === undefined || bytes < offset);
    backlog = undefined;
    if (lines.length > 0) emit(lines);
  };
  const timer = req.follow ? setTimeout(endBacklog, BACKLOG_MS) : undefined;
  try {
    for await (const chunk of body) {
      for (const frame of decoder.push(chunk as Buffer)) {
        if (frame.heartbeat) {
          endBacklog();
          continue;
        }
        bytes += frame.data?.length ?? 0;
        const lines = split.push(frame);
        if (backlog) backlog.push(...lines);
        else if (lines.length > 0) emit(lines);
      }
    }
    const rest = split.flush();
    if (rest !== undefined) {
      if (backlog) backlog.push(rest);
      else emit([rest]);
    }
    endBacklog();
  } finally {
    clearTimeout(timer);
  }
}

import type { JobRegisterResponse, NomadApi } from "../api/nomad.js";
import type { AppSpec } from "../app/types.js";
import type { Output } from "../output/port.js";
import type { EdgeHttp } from "./edge-http.js";
import { finishRollout } from "./finish.js";
import { followRollout } from "./rollout.js";

/** What a change np started (register, scale, revert) needs to be followed to its end. */
export interface ChangeContext {
  out: Output;
  signal: AbortSignal;
  /** How long the app may take to answer through an edge once deployed (default 60 s). */
  edgeDeadlineMs?: number;
  /** The app's spec, so placement failures name its driver and sizes. */
  app?: Pick<AppSpec, "driver" | "cpu" | "memoryMb">;
}

/** Follows a change to its end (followRollout) and reports it (finishRollout: URL, or why it failed). */
export async function followAndFinish(
  target: { nomad: NomadApi; edge: () => Promise<EdgeHttp | null> },
  jobId: string,
  started: JobRegisterResponse,
  ctx: ChangeContext,
): Promise<{ url?: string; version?: number }> {
  const outcome = await followRollout(target.nomad, jobId, started, ctx);
  return finishRollout(jobId, outcome, {
    nomad: target.nomad,
    out: ctx.out,
    signal: ctx.signal,
    edge: target.edge,
    edgeDeadlineMs: ctx.edgeDeadlineMs ?? 60_000,
  });
}

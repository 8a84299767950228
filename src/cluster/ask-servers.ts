import { OperationError } from "../errors.js";

export interface AskServersOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  intervalMs?: number;
  /** A reason to stop at once (a server's connection is gone). */
  giveUp?: () => string | undefined;
  onWait?: (why: string, elapsedMs: number) => void;
}

/** What one server's answer means: the result, or why to ask again. */
export type ServerAnswer<T> = { done: T } | { notYet: string };

/** What is being asked, for the errors (e.g. "Consul's ACL bootstrap", "Consul's ACLs could not be bootstrapped"). */
export interface AskedOf {
  what: string;
  failed: string;
  unit: string;
  /** Errors that asking again would never cure: thrown at once. */
  final: (err: unknown) => boolean;
}

/**
 * Asks each server in turn, round after round, until one gives the answer: a server that throws, or answers "not
 * yet" (no leader, ACLs still switching modes…), is asked again in the next round, every `intervalMs`. Says why it
 * still waits every 15 s (onWait); after `timeoutMs`, an OperationError with the last reason and where to look.
 */
export async function askServersUntil<A, T>(
  apis: readonly A[],
  asked: AskedOf,
  opts: AskServersOptions,
  ask: (api: A) => Promise<ServerAnswer<T>>,
): Promise<T> {
  const started = Date.now();
  let why = "no server asked yet";
  let nextWord = started + 15_000;
  while (Date.now() - started < opts.timeoutMs && !opts.signal?.aborted) {
    const gaveUp = opts.giveUp?.();
    if (gaveUp) throw new OperationError(`${asked.what} stopped: ${gaveUp}`);
    for (const api of apis) {
      try {
        const answer = await ask(api);
        if ("done" in answer) return answer.done;
        why = answer.notYet;
      } catch (err) {
        if (asked.final(err)) throw err;
        why = (err as Error).message;
      }
    }
    if (opts.onWait && Date.now() >= nextWord) {
      opts.onWait(why, Date.now() - started);
      nextWord += 15_000;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
  throw new OperationError(
    `${asked.failed} within ${Math.round(opts.timeoutMs / 1000)} s: ${why}`,
    `check \`journalctl -u ${asked.unit}\` on the servers, then run \`np up\` again`,
  );
}

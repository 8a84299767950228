import { HostError, HostsFailed, NpError } from "../errors.js";
import { isProgrammingError } from "../programming-error.js";
import { Semaphore } from "./semaphore.js";
import { reportStillWaiting, type StillWaitingReport } from "./still-waiting.js";

export interface ParallelOutcome<T, R> {
  results: Map<T, R>;
  failures: HostError[];
}

export interface ParallelOptions {
  /** How many items run at once (default 20). */
  limit?: number;
  /** Opt-in: called every `stillWaitingEveryMs` with the hosts still running ("still waiting for node2 (30 s)"). */
  onStillWaiting?: StillWaitingReport;
  stillWaitingEveryMs?: number;
}

/**
 * What one host's failure is: a HostError stays as it is; any other remote failure (a plain Error, such as
 * ssh2's or a socket's) becomes a HostError naming the host. Errors that are not the host's fault are rethrown as
 * themselves: a programming error (so the CLI reports an internal error with its stack), Interrupted, and np's
 * other typed errors (their message and exit code already say what happened).
 */
export function asHostFailure(host: string, err: unknown): HostError {
  if (err instanceof HostError) return err;
  if (err instanceof NpError || isProgrammingError(err)) throw err;
  const e = err as Error;
  return Object.assign(new HostError(host, e.message, undefined, undefined), { cause: e });
}

/**
 * Runs `fn` for every item, at most `limit` at once. A failure on one host never hides the others: every host
 * failure is collected with its host's name, and `throwIfFailed` turns them into one error listing each host.
 * An error that is not a host's failure (see asHostFailure) is thrown as itself once every item has finished.
 */
export async function parallelEach<T, R>(
  items: readonly T[],
  nameOf: (item: T) => string,
  fn: (item: T) => Promise<R>,
  options: number | ParallelOptions = {},
): Promise<ParallelOutcome<T, R>> {
  const opts = typeof options === "number" ? { limit: options } : options;
  const gate = new Semaphore(opts.limit ?? 20);
  const waiting = opts.onStillWaiting
    ? reportStillWaiting(opts.onStillWaiting, opts.stillWaitingEveryMs)
    : undefined;
  const results = new Map<T, R>();
  const failures: HostError[] = [];
  const fatal: unknown[] = [];
  try {
    await Promise.all(
      items.map((item) =>
        gate.use(async () => {
          const name = nameOf(item);
          waiting?.started(name);
          try {
            results.set(item, await fn(item));
          } catch (err) {
            try {
              failures.push(asHostFailure(name, err));
            } catch (notTheHost) {
              fatal.push(notTheHost);
            }
          } finally {
            waiting?.finished(name);
          }
        }),
      ),
    );
  } finally {
    waiting?.stop();
  }
  if (fatal.length > 0) throw fatal.find(isProgrammingError) ?? fatal[0];
  const order = new Map(items.map((item, i) => [nameOf(item), i]));
  failures.sort((a, b) => (order.get(a.host) ?? 0) - (order.get(b.host) ?? 0));
  return { results, failures };
}

/** Throws one HostsFailed naming every failed host, or does nothing. */
export function throwIfFailed(failures: HostError[]): void {
  if (failures.length > 0) throw new HostsFailed(failures);
}

import { HostError, HostsFailed } from "../errors.js";
import { Semaphore } from "./semaphore.js";

export interface ParallelOutcome<T, R> {
  results: Map<T, R>;
  failures: HostError[];
}

/**
 * Runs `fn` for every item, at most `limit` at once. A failure on one host never hides the others: every failure
 * is collected with its host's name, and `throwIfFailed` turns them into one error listing each host.
 */
export async function parallelEach<T, R>(
  items: readonly T[],
  nameOf: (item: T) => string,
  fn: (item: T) => Promise<R>,
  limit = 20,
): Promise<ParallelOutcome<T, R>> {
  const gate = new Semaphore(limit);
  const results = new Map<T, R>();
  const failures: HostError[] = [];
  await Promise.all(
    items.map((item) =>
      gate.use(async () => {
        try {
          results.set(item, await fn(item));
        } catch (err) {
          failures.push(
            err instanceof HostError
              ? err
              : new HostError(nameOf(item), (err as Error)?.message ?? String(err)),
          );
        }
      }),
    ),
  );
  failures.sort(
    (a, b) => items.findIndex((i) => nameOf(i) === a.host) - items.findIndex((i) => nameOf(i) === b.host),
  );
  return { results, failures };
}

/** Throws one HostsFailed naming every failed host, or does nothing. */
export function throwIfFailed(failures: HostError[]): void {
  if (failures.length > 0) throw new HostsFailed(failures);
}

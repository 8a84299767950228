import type { Indexed } from "../api/nomad.js";

/** How often a failing blocking query is retried before the watch gives up (the tunnel may hiccup). */
const RETRIES = 3;
const RETRY_DELAY_MS = 1000;

/**
 * Follows one Nomad read with blocking queries: the first read answers at once, each later one is held by
 * Nomad until its index passes the last (no polling). Calls `onValue` with every answer until `signal` aborts;
 * rejects when the read keeps failing. An index that goes backwards (a new leader) starts over at 0.
 */
export async function watchBlocking<T>(
  read: (index: number, signal: AbortSignal) => Promise<Indexed<T>>,
  onValue: (value: T) => void,
  signal: AbortSignal,
): Promise<void> {
  let index = 0;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const r = await read(index, signal);
      failures = 0;
      index = r.index < index ? 0 : r.index;
      onValue(r.body);
    } catch (err) {
      if (signal.aborted) return;
      if (++failures > RETRIES) throw err;
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    }
  }
}

/** A "something changed" signal many producers raise and one consumer waits for. */
export class ChangeNotifier {
  private waiting: (() => void) | undefined;
  private dirty = false;

  notify(): void {
    this.dirty = true;
    this.waiting?.();
  }

  /** Resolves at once when something changed since the last call, else at the next change. */
  async next(): Promise<void> {
    if (!this.dirty) await new Promise<void>((r) => (this.waiting = r));
    this.waiting = undefined;
    this.dirty = false;
  }
}

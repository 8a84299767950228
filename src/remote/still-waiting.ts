/** Says which hosts a long wait is still waiting for. */
export type StillWaitingReport = (message: string, hosts: string[], elapsedMs: number) => void;

/** Tracks the hosts still running; started/finished are called by the parallel work, stop at the end. */
export interface StillWaiting {
  started(host: string): void;
  finished(host: string): void;
  stop(): void;
}

/**
 * Every `everyMs` while some hosts are still running, reports them: "still waiting for node2, node4 (30 s)".
 * Silent when nothing runs, and never keeps np alive by itself (the timer is unref'd).
 */
export function reportStillWaiting(report: StillWaitingReport, everyMs = 10_000): StillWaiting {
  const running = new Set<string>();
  const since = Date.now();
  const timer = setInterval(() => {
    if (running.size === 0) return;
    const hosts = [...running];
    const elapsedMs = Date.now() - since;
    report(`still waiting for ${hosts.join(", ")} (${Math.round(elapsedMs / 1000)} s)`, hosts, elapsedMs);
  }, everyMs);
  timer.unref();
  return {
    started: (host) => running.add(host),
    finished: (host) => running.delete(host),
    stop: () => clearInterval(timer),
  };
}

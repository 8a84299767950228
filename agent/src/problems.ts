/** "error" makes /v1/health answer 503 (the agent cannot do its job); "warning" is reported only. */
export type ProblemLevel = "error" | "warning";

/** One thing that is wrong, as /v1/health and /v1/node show it. */
export interface Problem {
  id: string;
  level: ProblemLevel;
  message: string;
  since: string;
  lastSeen: string;
  count: number;
}

/** How long a warning stays visible after it last happened (counts stay in the report's counters). */
export const WARNING_TTL_MS = 15 * 60 * 1000;

/**
 * The agent's current problems, keyed by what they are about (e.g. "openobserve", "file:<path>"). A check that
 * fails sets its key; the same check succeeding clears it. Transitions are logged once, not every interval.
 */
export class Problems {
  private readonly items = new Map<string, Problem & { lastMs: number }>();

  constructor(
    private readonly log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
    private readonly now: () => number = Date.now,
  ) {}

  /** Records (or refreshes) a problem. */
  set(id: string, level: ProblemLevel, message: string): void {
    const ms = this.now();
    const iso = new Date(ms).toISOString();
    const prev = this.items.get(id);
    if (!prev || prev.message !== message || prev.level !== level) this.log(`${level}: ${id}: ${message}`);
    this.items.set(id, {
      id,
      level,
      message,
      since: prev?.since ?? iso,
      lastSeen: iso,
      count: (prev?.count ?? 0) + 1,
      lastMs: ms,
    });
  }

  /** Clears a problem (its check succeeded). */
  clear(id: string): void {
    if (this.items.delete(id)) this.log(`resolved: ${id}`);
  }

  /** Clears every problem whose id starts with prefix and is not in keep. */
  clearPrefix(prefix: string, keep: ReadonlySet<string> = new Set()): void {
    for (const id of [...this.items.keys()]) if (id.startsWith(prefix) && !keep.has(id)) this.clear(id);
  }

  /** Current problems, oldest first; warnings not seen for WARNING_TTL_MS are forgotten. */
  list(): Problem[] {
    const ms = this.now();
    const out: Problem[] = [];
    for (const [id, p] of this.items) {
      if (p.level === "warning" && ms - p.lastMs > WARNING_TTL_MS) {
        this.items.delete(id);
        continue;
      }
      const { lastMs: _, ...shown } = p;
      out.push(shown);
    }
    return out;
  }

  /** True when no problem of level "error" is current. */
  healthy(): boolean {
    return this.list().every((p) => p.level !== "error");
  }
}

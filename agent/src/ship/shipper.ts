import type { Problems } from "../problems.js";
import type { ShippingStatus } from "../report/node-report.js";
import { Backoff } from "./backoff.js";
import { type IngestOutcome, type IngestTarget, ingest } from "./openobserve.js";
import type { Spool, SpoolEntry } from "./spool.js";

/** Sends an ingest request; replaceable in tests. */
export type Ingest = (target: IngestTarget, stream: string, body: string) => Promise<IngestOutcome>;

/**
 * Drains the spool into OpenObserve, oldest batch first, one request at a time. A batch leaves the spool only
 * after OpenObserve answered 2xx for it; on a failure the same batch is sent again after an exponential backoff
 * (1 s doubling to 60 s), so batches arrive in order and none is skipped.
 */
export class Shipper {
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly backoff = new Backoff();
  readonly counters = {
    shipped: {} as Record<string, number>,
    dropped: 0,
    rejected: 0,
    lastShippedAt: null as string | null,
    lastError: null as string | null,
    nextAttemptAt: null as string | null,
  };

  constructor(
    private readonly spool: Spool,
    private readonly target: IngestTarget,
    private readonly problems: Problems,
    private readonly send: Ingest = ingest,
  ) {}

  /** Starts draining unless a drain runs or a backoff wait is pending. */
  kick(): void {
    if (this.running || this.timer || this.stopping) return;
    this.running = this.drain()
      .catch((err: Error) => this.problems.set("spool", "error", `cannot read the buffer: ${err.message}`))
      .finally(() => {
        this.running = null;
      });
  }

  private async drain(): Promise<void> {
    for (let e = this.spool.oldest(); e && !this.stopping; e = this.spool.oldest()) {
      this.spool.inFlight = e;
      let outcome: IngestOutcome;
      try {
        outcome = await this.send(this.target, e.stream, await this.spool.readBody(e));
      } finally {
        this.spool.inFlight = null;
      }
      if (outcome.kind === "retry") {
        this.retryLater(outcome.reason);
        return;
      }
      await this.settle(e, outcome);
    }
  }

  private async settle(e: SpoolEntry, outcome: Exclude<IngestOutcome, { kind: "retry" }>): Promise<void> {
    this.count(e, outcome);
    await this.spool.remove(e);
  }

  private count(e: SpoolEntry, outcome: Exclude<IngestOutcome, { kind: "retry" }>): void {
    this.backoff.reset();
    this.problems.clear("openobserve");
    this.counters.lastError = null;
    this.counters.nextAttemptAt = null;
    if (outcome.kind === "rejected") {
      this.counters.rejected += e.records;
      this.problems.set(
        "openobserve:rejected",
        "warning",
        `OpenObserve refused a batch of ${e.records} ${e.stream} records (${outcome.reason}); ${this.counters.rejected} refused since start`,
      );
      return;
    }
    this.counters.lastShippedAt = new Date().toISOString();
    this.counters.shipped[e.stream] = (this.counters.shipped[e.stream] ?? 0) + (e.records - outcome.failed);
    if (outcome.failed > 0) {
      this.counters.rejected += outcome.failed;
      this.problems.set(
        "openobserve:rejected",
        "warning",
        `OpenObserve failed ${outcome.failed} of ${e.records} ${e.stream} records${outcome.error ? ` (${outcome.error})` : ""}; ${this.counters.rejected} failed since start`,
      );
    }
  }

  private retryLater(reason: string): void {
    const ms = this.backoff.next();
    this.counters.lastError = reason;
    this.counters.nextAttemptAt = new Date(Date.now() + ms).toISOString();
    this.problems.set(
      "openobserve",
      "error",
      `cannot ship to OpenObserve: ${reason} (attempt ${this.backoff.attempts}, next in ${Math.round(ms / 1000)} s; records wait in the buffer)`,
    );
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, ms);
    this.timer.unref();
  }

  /** Counts batches the spool dropped to stay within its bound. */
  noteDropped(records: number, batches: number): void {
    if (records === 0 && batches === 0) return;
    this.counters.dropped += records;
    this.problems.set(
      "spool:full",
      "warning",
      `the buffer reached its bound of ${this.spool.maxBytes} bytes: dropped the oldest ${batches} batches (${records} records); ${this.counters.dropped} records dropped since start`,
    );
  }

  /** Stops sending: waits (up to timeoutMs) for the request in flight, so its batch is settled, not resent. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running)
      await Promise.race([this.running, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** Shipping figures for /v1/node. */
  status(): ShippingStatus {
    return {
      enabled: true,
      spool: { ...this.spool.size(), maxBytes: this.spool.maxBytes },
      shippedRecords: { ...this.counters.shipped },
      droppedRecords: this.counters.dropped,
      rejectedRecords: this.counters.rejected,
      lastShippedAt: this.counters.lastShippedAt,
      lastError: this.counters.lastError,
      nextAttemptAt: this.counters.nextAttemptAt,
    };
  }
}

/** Exponential backoff with jitter: 1 s, 2 s, 4 s ... up to maxMs, each within ±20%. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 60_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt, after one more failure. */
  next(): number {
    const ms = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(ms * (0.8 + 0.4 * this.random()));
  }

  /** After a success. */
  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}

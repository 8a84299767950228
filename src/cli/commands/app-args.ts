import { InvalidArgumentError } from "commander";

/** A whole number within [min, max] (a flag or argument); anything else is refused with exit 2. */
export function wholeNumber(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected ${what}: a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A duration such as 10m, 1h30m, 2h (for --since); anything else is refused with exit 2. */
export function durationMs(value: string): number {
  const m = /^(\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.test(value)
    ? [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
    : null;
  if (!m) throw new InvalidArgumentError('expected a duration such as "30s", "15m", "2h" or "1d"');
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return m.reduce((ms, [, n = "0", u = "s"]) => ms + Number(n) * (unit[u] ?? 0), 0);
}

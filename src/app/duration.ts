/** Durations as np.yaml writes them ("10s", "5m", "1h30m", "500ms") and as Nomad wants them (integer ns). */

const UNIT_NS: Record<string, number> = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** `10s`, `1.5s`, `5m`, `1h30m`, `250ms`: one or more numbers, each with a unit ms, s, m or h. */
export const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;
export const DURATION_RULE = 'write a duration such as "10s", "5m" or "1h30m" (units ms, s, m, h)';

/** Nanoseconds of a duration written as in np.yaml, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ns = 0;
  for (const [, amount = "", unit = ""] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    ns += Number(amount) * (UNIT_NS[unit] ?? Number.NaN);
  return Math.round(ns);
}

/** A duration in nanoseconds written the way np.yaml does: `10s`, `5m`, `1h30m`, `250ms`, `0s`. */
export function formatDuration(ns: number): string {
  if (ns === 0) return "0s";
  if (ns % 1e9 !== 0) return Number.isInteger(ns / 1e6) ? `${ns / 1e6}ms` : `${ns / 1e9}s`;
  let seconds = ns / 1e9;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours ? `${hours}h` : ""}${minutes ? `${minutes}m` : ""}${seconds ? `${seconds}s` : ""}`;
}

/** The aggregate "cpu" line of /proc/stat, in clock ticks. */
export interface CpuTimes {
  busy: number;
  total: number;
}

/** Parses the first "cpu " line of /proc/stat (user nice system idle iowait irq softirq steal ...). */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("/proc/stat has no aggregate cpu line");
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n)))
    throw new Error(`/proc/stat: unreadable cpu line: ${line}`);
  // guest and guest_nice are already counted in user and nice, so only the first eight fields add up.
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** CPU usage between two readings, in percent of all CPUs (0-100), or null when no time passed. */
export function cpuPercent(prev: CpuTimes, next: CpuTimes): number | null {
  const total = next.total - prev.total;
  if (total <= 0) return null;
  const busy = Math.max(0, next.busy - prev.busy);
  return Math.min(100, Math.round((busy / total) * 1000) / 10);
}

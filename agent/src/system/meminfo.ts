/** Memory figures from /proc/meminfo, in bytes. */
export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
}

/**
 * Parses /proc/meminfo ("MemTotal:  8048484 kB"). MemAvailable (Linux >= 3.14) is the kernel's own estimate of
 * what can be allocated without swapping; without it, free + buffers + cached stands in.
 */
export function parseMeminfo(text: string): MemInfo {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]));
  }
  const total = kb.get("MemTotal");
  if (total === undefined) throw new Error("/proc/meminfo has no MemTotal");
  const available =
    kb.get("MemAvailable") ?? (kb.get("MemFree") ?? 0) + (kb.get("Buffers") ?? 0) + (kb.get("Cached") ?? 0);
  return {
    totalBytes: total * 1024,
    availableBytes: Math.min(available, total) * 1024,
    usedBytes: Math.max(0, total - available) * 1024,
    swapTotalBytes: (kb.get("SwapTotal") ?? 0) * 1024,
    swapFreeBytes: (kb.get("SwapFree") ?? 0) * 1024,
  };
}

/** Load averages from /proc/loadavg ("0.12 0.34 0.56 1/234 5678"). */
export function parseLoadavg(text: string): [number, number, number] {
  const words = text.trim().split(/\s+/).slice(0, 3);
  const f = words.map(Number);
  if (f.length !== 3 || words.some((w) => !/^\d+(\.\d+)?$/.test(w)))
    throw new Error(`/proc/loadavg unreadable: ${text}`);
  return [f[0] ?? 0, f[1] ?? 0, f[2] ?? 0];
}

/** Seconds since boot from /proc/uptime ("12345.67 23456.78"). */
export function parseUptime(text: string): number {
  const f = text.trim().split(/\s+/)[0] ?? "";
  const n = Number(f);
  if (!/^\d+(\.\d+)?$/.test(f) || !Number.isFinite(n)) throw new Error(`/proc/uptime unreadable: ${text}`);
  return Math.floor(n);
}

/**
 * Small nodes report 1 CPU and 128 MB of RAM so preflight has something to refuse. The CPU part is
 * `--cpu-affinity=0` on systemd-nspawn; the RAM part is a fake /proc/meminfo that a oneshot unit bind-mounts over
 * the real one from inside the booted container (nspawn's own `--bind-ro=…:/proc/meminfo` fails).
 */

/** RAM a small node reports, in kB. */
export const SMALL_NODE_MEMORY_KB = 131072;

/** Where the fake meminfo lives inside the node. */
export const FAKE_MEMINFO_PATH = "/etc/np-sandbox/meminfo";

/** The oneshot unit that mounts it, and where its enablement symlink goes. */
export const SMALL_UNIT_NAME = "np-sandbox-small-memory.service";
export const SMALL_UNIT_WANTED_BY = "sysinit.target";

/** A /proc/meminfo that looks real (every value in kB, the kernel's column layout) and reports `totalKb`. */
export function fakeMeminfo(totalKb: number = SMALL_NODE_MEMORY_KB): string {
  const free = Math.floor(totalKb * 0.75);
  const available = Math.floor(totalKb * 0.85);
  const fields: [string, number][] = [
    ["MemTotal", totalKb],
    ["MemFree", free],
    ["MemAvailable", available],
    ["Buffers", Math.floor(totalKb * 0.01)],
    ["Cached", Math.floor(totalKb * 0.08)],
    ["SwapCached", 0],
    ["Active", Math.floor(totalKb * 0.1)],
    ["Inactive", Math.floor(totalKb * 0.05)],
    ["Shmem", Math.floor(totalKb * 0.002)],
    ["SwapTotal", 0],
    ["SwapFree", 0],
    ["Dirty", 0],
    ["Writeback", 0],
    ["Slab", Math.floor(totalKb * 0.02)],
    ["SReclaimable", Math.floor(totalKb * 0.01)],
    ["CommitLimit", Math.floor(totalKb / 2)],
    ["Committed_AS", Math.floor(totalKb * 0.2)],
  ];
  return fields.map(([key, kb]) => `${`${key}:`.padEnd(16)}${String(kb).padStart(8)} kB\n`).join("");
}

/** The oneshot unit: runs before sysinit and sshd, so every later process sees the small meminfo. */
export function smallMemoryUnit(): string {
  return `[Unit]
Description=Report ${SMALL_NODE_MEMORY_KB / 1024} MB of RAM (np sandbox small node)
DefaultDependencies=no
Before=${SMALL_UNIT_WANTED_BY} ssh.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/mount --bind ${FAKE_MEMINFO_PATH} /proc/meminfo

[Install]
WantedBy=${SMALL_UNIT_WANTED_BY}
`;
}

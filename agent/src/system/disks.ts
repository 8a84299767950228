import { statfs } from "../fsp.js";

/** Space and inodes of one filesystem, from statfs(2). */
export interface DiskUsage {
  path: string;
  totalBytes: number;
  freeBytes: number;
  /** What an unprivileged process may still use (free minus the root reserve). */
  availableBytes: number;
  usedBytes: number;
  inodesTotal: number;
  inodesFree: number;
  inodesUsedPercent: number | null;
}

/** Reads statfs for one path. */
export async function diskUsage(path: string): Promise<DiskUsage> {
  const s = await statfs(path);
  const total = s.blocks * s.bsize;
  const free = s.bfree * s.bsize;
  return {
    path,
    totalBytes: total,
    freeBytes: free,
    availableBytes: s.bavail * s.bsize,
    usedBytes: total - free,
    inodesTotal: s.files,
    inodesFree: s.ffree,
    // Some filesystems (btrfs, tmpfs with nr_inodes=0) report no inode limit: no percentage then.
    inodesUsedPercent: s.files > 0 ? Math.round(((s.files - s.ffree) / s.files) * 1000) / 10 : null,
  };
}

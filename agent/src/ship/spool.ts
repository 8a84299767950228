import path from "node:path";
import { mkdirp, readdir, readText, stat, unlink } from "../fsp.js";
import { writeFileAtomic } from "./atomic-file.js";
import type { StateDelta } from "./state.js";

/** One batch waiting in the spool. */
export interface SpoolEntry {
  seq: number;
  stream: string;
  records: number;
  bytes: number;
  file: string;
}

/** What `append` had to drop to stay within the bound. */
export interface Dropped {
  batches: number;
  records: number;
}

const NAME = /^(\d{12})\.(\d+)\.([A-Za-z0-9_]+)\.batch$/;

/**
 * The bounded on-disk buffer of record batches waiting for OpenObserve, oldest first. A batch is one file
 * `<seq>.<records>.<stream>.batch`: its first line is the JSON array sent as is, its second line the cursor
 * delta that reading it advanced (so a crash between spooling and saving the offsets loses nothing). Written
 * atomically; removed once OpenObserve accepted it. When the total size passes maxBytes the oldest batches
 * are dropped (never the one being sent) and counted.
 */
export class Spool {
  private entries: SpoolEntry[] = [];
  private totalBytes = 0;
  private nextSeq = 1;
  /** The batch being sent: never dropped. */
  inFlight: SpoolEntry | null = null;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** Opens (creates) the directory and indexes the batches left by a previous run. */
  async open(): Promise<SpoolEntry[]> {
    await mkdirp(this.dir, 0o750);
    const found: SpoolEntry[] = [];
    for (const name of await readdir(this.dir)) {
      const m = NAME.exec(name);
      const file = path.join(this.dir, name);
      if (!m?.[1] || !m[2] || !m[3]) {
        if (name.endsWith(".tmp")) await unlink(file).catch(() => {}); // a write cut short by a crash
        continue;
      }
      const st = await stat(file);
      found.push({ seq: Number(m[1]), records: Number(m[2]), stream: m[3], bytes: st.size, file });
    }
    found.sort((a, b) => a.seq - b.seq);
    this.entries = found;
    this.totalBytes = found.reduce((n, e) => n + e.bytes, 0);
    this.nextSeq = (found.at(-1)?.seq ?? 0) + 1;
    return [...found];
  }

  /** Makes sure new batches are numbered after `seq` (the state's last applied batch). */
  reserveAfter(seq: number): void {
    this.nextSeq = Math.max(this.nextSeq, seq + 1);
  }

  /** Reads the cursor delta stored with a batch. */
  async readDelta(e: SpoolEntry): Promise<StateDelta> {
    const text = await readText(e.file);
    const nl = text.indexOf("\n");
    return nl < 0 ? {} : (JSON.parse(text.slice(nl + 1)) as StateDelta);
  }

  /** Reads the request body of a batch (its JSON array). */
  async readBody(e: SpoolEntry): Promise<string> {
    const text = await readText(e.file);
    const nl = text.indexOf("\n");
    return nl < 0 ? text : text.slice(0, nl);
  }

  /** Writes a batch; returns its sequence number. `body` is a JSON array of `records` records. */
  async append(stream: string, body: string, records: number, delta: StateDelta): Promise<number> {
    if (!/^[A-Za-z0-9_]+$/.test(stream)) throw new Error(`stream name not usable in a file name: ${stream}`);
    const seq = this.nextSeq++;
    const file = path.join(this.dir, `${String(seq).padStart(12, "0")}.${records}.${stream}.batch`);
    const data = `${body}\n${JSON.stringify(delta)}\n`;
    await writeFileAtomic(file, data);
    const bytes = Buffer.byteLength(data);
    this.entries.push({ seq, stream, records, bytes, file });
    this.totalBytes += bytes;
    return seq;
  }

  /** Drops the oldest batches (not the one in flight) until the spool fits its bound. */
  async enforceBound(): Promise<Dropped> {
    const dropped: Dropped = { batches: 0, records: 0 };
    while (this.totalBytes > this.maxBytes) {
      const victim = this.entries.find((e) => e !== this.inFlight && e !== this.entries.at(-1));
      if (!victim) break;
      await this.remove(victim);
      dropped.batches++;
      dropped.records += victim.records;
    }
    return dropped;
  }

  /** The oldest batch, or undefined when the spool is empty. */
  oldest(): SpoolEntry | undefined {
    return this.entries[0];
  }

  /** Removes a batch (sent, or dropped). */
  async remove(e: SpoolEntry): Promise<void> {
    const i = this.entries.indexOf(e);
    if (i < 0) return;
    this.entries.splice(i, 1);
    this.totalBytes -= e.bytes;
    await unlink(e.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }

  /** Batches, records and bytes waiting. */
  size(): { batches: number; records: number; bytes: number } {
    return {
      batches: this.entries.length,
      records: this.entries.reduce((n, e) => n + e.records, 0),
      bytes: this.totalBytes,
    };
  }
}

import path from "node:path";
import type { Problems } from "../problems.js";
import type { Shipper } from "./shipper.js";
import { Spool } from "./spool.js";
import { applyDelta, type ShipState, type StateDelta, StateStore } from "./state.js";

/** Writing the spool or the offsets failed (disk full, permissions): the pass that hit it is abandoned. */
export class SpoolError extends Error {}

/** Batches are cut at this size (bytes of JSON) or record count, whichever comes first. */
export const BATCH_MAX_BYTES = 512 * 1024;
export const BATCH_MAX_RECORDS = 2000;

/**
 * The one path from reading to the spool: records with the cursor delta that reading them advanced. A batch is
 * spooled (the commit point), then the delta is applied to the state and the offsets file saved. On start, any
 * spooled batch newer than the offsets file re-applies its delta, so reading resumes exactly after the last
 * spooled record whatever the moment the previous run stopped.
 */
export class Pipeline {
  readonly spool: Spool;
  private readonly store: StateStore;
  state!: ShipState;
  shipper: Shipper | null = null;

  constructor(
    stateDir: string,
    maxBytes: number,
    private readonly problems: Problems,
  ) {
    this.spool = new Spool(path.join(stateDir, "spool"), maxBytes);
    this.store = new StateStore(stateDir);
  }

  /** Loads the offsets, indexes the spool and replays deltas the offsets file missed. */
  async open(): Promise<void> {
    const { state, warning } = await this.store.load();
    if (warning) this.problems.set("state", "warning", warning);
    const entries = await this.spool.open();
    let replayed = false;
    for (const e of entries) {
      if (e.seq <= state.seq) continue;
      applyDelta(state, await this.spool.readDelta(e), e.seq);
      replayed = true;
    }
    if (replayed) await this.store.save(state);
    this.spool.reserveAfter(state.seq);
    this.state = state;
  }

  /** Spools a batch (when it has records) and moves the state past it. */
  async commit(stream: string, records: string[], delta: StateDelta): Promise<void> {
    try {
      await this.write(stream, records, delta);
    } catch (err) {
      throw new SpoolError(`cannot write the buffer in ${this.spool.dir}: ${(err as Error).message}`);
    }
  }

  private async write(stream: string, records: string[], delta: StateDelta): Promise<void> {
    if (records.length === 0) {
      if (Object.keys(delta.files ?? {}).length === 0 && delta.journalCursor === undefined) return;
      applyDelta(this.state, delta, this.state.seq);
      await this.store.save(this.state);
      return;
    }
    const seq = await this.spool.append(stream, `[${records.join(",")}]`, records.length, delta);
    applyDelta(this.state, delta, seq);
    await this.store.save(this.state);
    const dropped = await this.spool.enforceBound();
    this.shipper?.noteDropped(dropped.records, dropped.batches);
    this.shipper?.kick();
  }

  /** Collects serialized records of one stream and commits them in bounded batches. */
  batcher(stream: string): Batcher {
    return new Batcher(stream, this);
  }
}

/** Accumulates records and the cursor delta they advance; commits when a batch is full and at flush(). */
export class Batcher {
  private records: string[] = [];
  private bytes = 0;
  private delta: StateDelta = {};

  constructor(
    private readonly stream: string,
    private readonly pipeline: Pipeline,
  ) {}

  /** Adds records with the cursor change after them; commits if the batch is full. */
  async add(records: object[], delta: StateDelta): Promise<void> {
    for (const r of records) {
      const s = JSON.stringify(r);
      this.records.push(s);
      this.bytes += s.length + 1;
    }
    if (delta.files) this.delta.files = { ...this.delta.files, ...delta.files };
    if (delta.journalCursor !== undefined) this.delta.journalCursor = delta.journalCursor;
    if (this.bytes >= BATCH_MAX_BYTES || this.records.length >= BATCH_MAX_RECORDS) await this.flush();
  }

  /** Commits what is pending. */
  async flush(): Promise<void> {
    const records = this.records;
    const delta = this.delta;
    this.records = [];
    this.bytes = 0;
    this.delta = {};
    await this.pipeline.commit(this.stream, records, delta);
  }

  /** The cursor this batcher will commit for a key, if it has one pending. */
  pendingFile(key: string) {
    return this.delta.files?.[key];
  }
}

/** One reading of a Raft quorum: the leader's address ("" while there is none) and autopilot's view of each server. */
export interface QuorumReading {
  leader: string;
  servers: { name: string; leader: boolean; healthy: boolean; voter: boolean }[];
}

/**
 * Reads a Raft quorum every `everyMs` while something restarts its servers, and keeps what it saw: readings with
 * fewer than `majority` healthy voters for `minLossMs` or longer are a loss of quorum. Shorter dips are kept apart
 * (`briefDips`): autopilot calls a server unhealthy whose last contact with the leader is over 200 ms, which a
 * loaded 2-core machine produces for a moment, while a restart gate that let two servers down at once shows far
 * longer (a restarted server stays unhealthy for autopilot's server_stabilization_time, 10 s). A reading without a leader, or whose leader lists
 * itself unhealthy (a new leader's autopilot holds the old term's stats until its first health round), is not
 * judged: such readings come in runs (an election), and the longest run is kept to be bounded by the test.
 */
export class QuorumSampler {
  reads = 0;
  /** Readings of each loss of quorum (below a majority for minLossMs or longer), with the step under way. */
  readonly noMajority: string[] = [];
  /** Shorter runs below a majority: step, length, readings. */
  readonly briefDips: string[] = [];
  unsettledReads = 0;
  maxUnsettledMs = 0;
  /** Runs of unjudged readings longer than 5 s: step, length, why. */
  readonly longUnsettled: string[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<QuorumReading>,
    /** The step under way, named in what the sampler keeps. */
    private readonly step: () => string,
    private readonly majority: number,
    private readonly everyMs: number,
    private readonly minLossMs = 2000,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** The current run of readings below a majority. */
  private dip: { first: number; last: number; readings: string[] } | undefined;

  private endDip(): void {
    const d = this.dip;
    this.dip = undefined;
    if (!d) return;
    const ms = d.last - d.first;
    if (ms >= this.minLossMs) this.noMajority.push(...d.readings);
    else this.briefDips.push(`${d.readings[0]} (${d.readings.length} readings over ${ms} ms)`);
  }

  private async run(): Promise<void> {
    let unsettled: { since: number; step: string; why: string } | undefined;
    while (!this.stopped) {
      try {
        const q = await this.read();
        this.reads++;
        if (q.leader === "") throw new Error("no leader");
        if (!q.servers.find((s) => s.leader)?.healthy) throw new Error("a new leader's first health round");
        const healthy = q.servers.filter((s) => s.voter && s.healthy).length;
        if (healthy < this.majority) {
          const now = Date.now();
          this.dip ??= { first: now, last: now, readings: [] };
          this.dip.last = now;
          this.dip.readings.push(`${this.step()}: ${new Date(now).toISOString()} ${healthy} healthy voters`);
        } else this.endDip();
        if (unsettled) {
          const ms = Date.now() - unsettled.since;
          this.maxUnsettledMs = Math.max(this.maxUnsettledMs, ms);
          if (ms > 5000) this.longUnsettled.push(`${unsettled.step}: ${ms} ms, ${unsettled.why}`);
        }
        unsettled = undefined;
      } catch (err) {
        this.unsettledReads++;
        unsettled ??= { since: Date.now(), step: this.step(), why: (err as Error).message };
      }
      await new Promise((r) => setTimeout(r, this.everyMs));
    }
    this.endDip();
  }
}

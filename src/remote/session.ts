import os from "node:os";
import path from "node:path";
import { Interrupted } from "../errors.js";
import { SshConnection, type SshEndpoint } from "./connection.js";
import { KnownHosts } from "./known-hosts.js";
import { Semaphore } from "./semaphore.js";

export interface SessionOptions {
  /** The inventory's `.np/` folder: host keys are pinned in `known_hosts` there. */
  stateDir: string;
  signal?: AbortSignal;
  /** How many connections may be opening at once (default 20). */
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  /** SSH keepalives (default KEEPALIVE: a silent network cut is noticed in 15-20 s); tests shorten them. */
  keepalive?: { intervalMs: number; countMax: number };
}

/**
 * The SSH connections of one np run: one per host, reused for every step, all closed at the end. On Ctrl-C (the
 * signal) every running command of every connection fails at once with Interrupted and is stopped on its host.
 */
export class Session {
  private readonly open = new Map<string, Promise<SshConnection>>();
  private readonly gate: Semaphore;
  private closed = false;
  private stopping: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly knownHosts: KnownHosts,
    private readonly opts: SessionOptions,
  ) {
    this.gate = new Semaphore(opts.concurrency ?? 20);
    opts.signal?.addEventListener("abort", () => this.interrupt(), { once: true });
  }

  static async create(opts: SessionOptions): Promise<Session> {
    const knownHosts = new KnownHosts(
      path.join(opts.stateDir, "known_hosts"),
      path.join(os.homedir(), ".ssh", "known_hosts"),
    );
    return new Session(await knownHosts.load(), opts);
  }

  /** The host's connection, opened on first use; later calls reuse it. */
  connect(endpoint: SshEndpoint): Promise<SshConnection> {
    if (this.closed || this.opts.signal?.aborted) return Promise.reject(new Interrupted());
    let conn = this.open.get(endpoint.name);
    if (!conn) {
      conn = this.gate.use(() =>
        SshConnection.open(endpoint, {
          knownHosts: this.knownHosts,
          env: this.opts.env,
          keepalive: this.opts.keepalive,
          signal: this.opts.signal,
        }),
      );
      this.open.set(endpoint.name, conn);
      // A connection that finishes opening after Ctrl-C or the end of the run is closed at once.
      conn.then(
        (c) => (this.closed || this.opts.signal?.aborted) && c.close(),
        () => {},
      );
    }
    return conn;
  }

  /** Per host: round trips made on its one connection (for `--verbose` and benchmarks). */
  async roundTrips(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const [name, conn] of this.open) {
      const c = await conn.catch(() => null);
      if (c) counts.set(name, c.roundTrips);
    }
    return counts;
  }

  /** Ctrl-C: every running command of every connection fails with Interrupted and is stopped on its host. */
  private interrupt(): void {
    this.stopping = Promise.all(
      [...this.open.values()].map((c) => c.then((conn) => conn.interrupt()).catch(() => {})),
    );
  }

  /** Closes every connection, once the commands a Ctrl-C stopped are gone. Safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopping;
    const conns = await Promise.all([...this.open.values()].map((c) => c.catch(() => null)));
    for (const conn of conns) conn?.close();
  }
}

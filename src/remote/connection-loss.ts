import type { Duplex } from "node:stream";
import type { Client } from "ssh2";
import { HostError } from "../errors.js";

/**
 * SSH keepalives: a ping every `intervalMs`; once `countMax` pings in a row go unanswered the connection is
 * dropped. A silent network cut is noticed after countMax to countMax + 1 intervals: 15 to 20 s. Shorter would
 * risk dropping a healthy connection to a host that is briefly swamped; longer leaves the user waiting in silence.
 */
export const KEEPALIVE = { intervalMs: 5_000, countMax: 3 };

/** The hint of every lost connection: nothing np did is lost, the next run picks up where this one stopped. */
export function lostHint(host: string): string {
  return `check that ${host} is up and reachable, then run np again: \`np up\` continues where it stopped`;
}

/** A host's SSH connection is gone (network cut, host down, sshd killed): what np was doing there failed. */
export class ConnectionLost extends HostError {
  constructor(
    host: string,
    /** What np saw, e.g. "no answer for 15 s" or "closed by the host". */
    readonly reason: string,
    /** What np was doing on the host, e.g. "installing /usr/local/bin/consul". */
    readonly doing?: string,
  ) {
    super(host, `connection lost${doing ? ` while ${doing}` : ""}: ${reason}`, lostHint(host));
  }
}

/** What np can say about a socket or ssh2 error that ended a connection. */
export function lossReason(err: unknown, keepalive = KEEPALIVE): string {
  const e = err as NodeJS.ErrnoException & { level?: string };
  if (e?.level === "client-timeout" || /keepalive timeout/i.test(e?.message ?? "")) {
    const s = (keepalive.intervalMs * keepalive.countMax) / 1000;
    return `no answer for ${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  }
  if (e?.code === "ECONNRESET") return "reset by the host";
  if (e?.code === "EPIPE") return "closed by the host";
  if (e?.code === "ETIMEDOUT") return "timed out";
  return e?.message ?? String(err);
}

/** The ssh2 client of a connection, the socket it runs over, and the bastion's client when it is tunnelled. */
export interface WatchedConnection {
  client: Client;
  sock: Duplex;
  bastion?: Client;
}

/**
 * Watches one connection for its loss: 'error', 'end' or 'close' of the ssh2 client, of its socket and of the
 * bastion's client. The first sign wins (an error arrives before the close it causes, so its reason is kept).
 * A connection np closes itself (`stop`) is not lost.
 */
export class LossWatch {
  /** Why the connection was lost, once it is. */
  reason: string | undefined;
  /** Resolves with the reason once the connection is lost; never rejects, stays pending if np closes it. */
  readonly lost: Promise<string>;
  private resolveLost: (reason: string) => void = () => {};
  private readonly listeners = new Set<(reason: string) => void>();
  private stopped = false;

  constructor(watched: WatchedConnection, keepalive = KEEPALIVE) {
    this.lost = new Promise((resolve) => {
      this.resolveLost = resolve;
    });
    const onError = (err: unknown) => this.markLost(lossReason(err, keepalive));
    const onGone = () => this.markLost("closed by the host");
    for (const source of [watched.client, watched.sock] as NodeJS.EventEmitter[]) {
      source.on("error", onError);
      source.once("end", onGone);
      source.once("close", onGone);
    }
    if (watched.bastion) {
      const viaBastion = (reason: string) => this.markLost(`the bastion's connection was lost: ${reason}`);
      watched.bastion.on("error", (err) => viaBastion(lossReason(err, keepalive)));
      watched.bastion.once("close", () => viaBastion("closed by the bastion"));
    }
  }

  get isLost(): boolean {
    return this.reason !== undefined;
  }

  /** Calls `fn` once when the connection is lost (at once if it already is); returns the unsubscribe. */
  onLoss(fn: (reason: string) => void): () => void {
    if (this.reason !== undefined) {
      fn(this.reason);
      return () => {};
    }
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Records the loss (the first reason wins) and tells every listener. */
  markLost(reason: string): void {
    if (this.stopped || this.reason !== undefined) return;
    this.reason = reason;
    this.resolveLost(reason);
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const fn of listeners) fn(reason);
  }

  /** np is closing the connection itself: what follows is not a loss. */
  stop(): void {
    this.stopped = true;
  }
}

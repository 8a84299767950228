import { Readable } from "node:stream";
import type { ClientChannel, SFTPWrapper } from "ssh2";
import { HostError, Interrupted } from "../errors.js";
import { type Argv, asRoot, shInline } from "./command.js";
import { ConnectionLost, LossWatch } from "./connection-loss.js";
import {
  forwardChannel,
  type OpenedClient,
  type OpenOptions,
  openClient,
  type SshEndpoint,
} from "./open-connection.js";
import { shellJoin } from "./quote.js";
import { Semaphore } from "./semaphore.js";
import { STOP_COMMANDS_SCRIPT } from "./stop-commands.js";

export type { SshEndpoint } from "./open-connection.js";

export interface ConnectOptions extends OpenOptions {
  /** Concurrent channels per connection; sshd allows 10 sessions (MaxSessions) by default. */
  maxChannels?: number;
  /** Ctrl-C: aborting interrupts the connection (see `interrupt`). */
  signal?: AbortSignal;
}

export interface ExecOptions {
  /** Sent to the command; a stream keeps the command's stdin open until it ends (the cluster lock's heartbeat). */
  stdin?: string | Buffer | Readable;
  timeoutMs?: number;
  /** Aborting stops this command and rejects with Interrupted. */
  signal?: AbortSignal;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /**
   * What the command does, for errors: "installing /usr/local/bin/consul" gives
   * "node4: connection lost while installing /usr/local/bin/consul: …". Default: "running <program>".
   */
  doing?: string;
}

export interface ExecResult {
  /** The exit code; null when the command was killed by a signal or ended without an exit status. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** A command (or SFTP session) in flight, so a lost or interrupted connection can end it at once. */
interface Running {
  doing: string;
  fail(err: Error): void;
}

/** How long a Ctrl-C waits for the host to stop np's commands before the connection is closed anyway. */
const STOP_TIMEOUT_MS = 3_000;

/**
 * One SSH connection to one host, reused for every step and closed at the end. It watches its own loss: once
 * the connection is gone (network cut, host down, sshd killed), every running and later exec, sftp and
 * forwardOut rejects at once with a ConnectionLost naming the host and what np was doing there.
 */
export class SshConnection {
  private readonly channels: Semaphore;
  private readonly watch: LossWatch;
  private readonly running = new Set<Running>();
  private closed = false;
  private interrupted = false;
  private stopping: Promise<void> | undefined;
  /** Round trips made on this connection: commands run and SFTP sessions opened (benchmarks report them). */
  roundTrips = 0;
  /** Settles with the loss once the connection is lost (never rejects), so long waits can stop early. */
  readonly lost: Promise<ConnectionLost>;

  private constructor(
    readonly endpoint: SshEndpoint,
    private readonly opened: OpenedClient,
    options: ConnectOptions,
  ) {
    this.channels = new Semaphore(options.maxChannels ?? 8);
    const keepalive = options.keepalive;
    this.watch = new LossWatch(opened, keepalive);
    this.lost = this.watch.lost.then((reason) => new ConnectionLost(this.name, reason));
    this.watch.onLoss((reason) => {
      for (const op of [...this.running]) op.fail(new ConnectionLost(this.name, reason, op.doing));
    });
    // Registered before any command's own abort listener, so the host is told to stop every running command.
    options.signal?.addEventListener("abort", () => void this.interrupt(), { once: true });
  }

  get name(): string {
    return this.endpoint.name;
  }

  /** True once the connection is lost; everything on it now fails with ConnectionLost. */
  get isLost(): boolean {
    return this.watch.isLost;
  }

  /** Opens the connection (through the bastion when one is set), verifying and pinning the host key. */
  static async open(endpoint: SshEndpoint, options: ConnectOptions): Promise<SshConnection> {
    const opened = await openClient(endpoint, options);
    return new SshConnection(endpoint, opened, options);
  }

  /** Runs argv on the host and returns its exit code and output; never throws for a non-zero exit. */
  exec(argv: Argv, opts: ExecOptions = {}): Promise<ExecResult> {
    this.roundTrips++;
    const doing = opts.doing ?? `running ${programOf(argv)}`;
    return this.channels.use(() => this.execNow(shellJoin(argv), doing, opts));
  }

  /** Like exec, but a non-zero exit becomes a HostError carrying the tail of stderr (all of it in `.stderr`). */
  async run(argv: Argv, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(argv, opts);
    if (r.code !== 0) throw exitError(this.name, argv, r, opts.doing);
    return r;
  }

  /** An SFTP session on this connection (one channel). */
  sftp(doing = "opening an SFTP session"): Promise<SFTPWrapper> {
    this.roundTrips++;
    return this.track(doing, (resolve, reject) =>
      this.opened.client.sftp((err, sftp) =>
        err
          ? reject(this.lostError(doing) ?? new HostError(this.name, `SFTP unavailable: ${err.message}`))
          : resolve(sftp),
      ),
    );
  }

  /** A TCP stream to host:port as seen from this host (SSH tunnel to cluster APIs on loopback). */
  forwardOut(
    host: string,
    port: number,
    doing = `opening a tunnel to ${host}:${port}`,
  ): Promise<ClientChannel> {
    return this.track(doing, (resolve, reject) =>
      forwardChannel(this.opened.client, host, port).then(resolve, (err: Error) => {
        if (err.message === "Not connected") this.watch.markLost("the connection is gone");
        reject(
          this.lostError(doing) ??
            new HostError(this.name, `cannot open a tunnel to ${host}:${port}: ${err.message}`),
        );
      }),
    );
  }

  /** The ConnectionLost for `doing` when the connection is lost, else undefined (for callers' own catch blocks). */
  lostError(doing?: string): ConnectionLost | undefined {
    const reason = this.watch.reason;
    return reason === undefined ? undefined : new ConnectionLost(this.name, reason, doing);
  }

  /**
   * Ctrl-C: every running command fails at once with Interrupted, and the host is asked to stop them (see
   * STOP_COMMANDS_SCRIPT); later commands fail with Interrupted. Resolves when the host has answered, at most
   * after a few seconds.
   */
  interrupt(): Promise<void> {
    this.stopping ??= this.stopCommands();
    return this.stopping;
  }

  private async stopCommands(): Promise<void> {
    if (this.closed) return;
    this.interrupted = true;
    const hadCommands = this.running.size > 0;
    for (const op of [...this.running]) op.fail(new Interrupted());
    if (!hadCommands || this.isLost) return;
    const stop = asRoot(shInline(STOP_COMMANDS_SCRIPT), this.endpoint.ssh.user);
    // Not through the channel semaphore: the running commands may hold every slot.
    await this.execNow(shellJoin(stop), "stopping np's commands", { timeoutMs: STOP_TIMEOUT_MS }, true).catch(
      () => {},
    );
  }

  /** Closes the connection (and its bastion hop). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watch.stop();
    for (const op of [...this.running])
      op.fail(new HostError(this.name, `connection closed by np while ${op.doing}`));
    this.opened.client.end();
    this.opened.bastion?.end();
  }

  /** Why nothing can run on this connection any more, or undefined when it is usable. */
  private unusable(doing: string): Error | undefined {
    if (this.interrupted) return new Interrupted();
    if (this.closed) return new HostError(this.name, `connection already closed by np (while ${doing})`);
    return this.lostError(doing);
  }

  /**
   * Runs `start` as one tracked operation: it settles once, and fails at once when the connection is lost or
   * interrupted. ssh2 throws synchronously on a dead connection ("Not connected"): that is a loss too.
   */
  private track<T>(
    doing: string,
    start: (resolve: (v: T) => void, reject: (e: Error) => void, op: Running) => void,
    bypassInterrupt = false,
    onFail?: () => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const gone = bypassInterrupt ? this.lostError(doing) : this.unusable(doing);
      if (gone) return reject(gone);
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.running.delete(op);
        fn();
      };
      const op: Running = {
        doing,
        fail: (err) => {
          onFail?.();
          settle(() => reject(err));
        },
      };
      if (!bypassInterrupt) this.running.add(op);
      try {
        start(
          (v) => settle(() => resolve(v)),
          (e) => settle(() => reject(e)),
          op,
        );
      } catch (err) {
        // ssh2 throws here ("Not connected") only once its socket is no longer writable.
        this.watch.markLost("the connection is gone");
        settle(() => reject(this.lostError(doing) ?? err));
      }
    });
  }

  private execNow(
    command: string,
    doing: string,
    opts: ExecOptions,
    bypassInterrupt = false,
  ): Promise<ExecResult> {
    if (opts.signal?.aborted) return Promise.reject(new Interrupted());
    let stream: ClientChannel | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let failed = false;
    const cleanUp = () => {
      clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener("abort", onAbort);
    };
    // Closing the channel ends np's side; the remote command itself is stopped only by interrupt().
    const closeChannel = () => {
      failed = true;
      cleanUp();
      try {
        stream?.close();
      } catch {}
    };
    return this.track<ExecResult>(
      doing,
      (resolve, reject, op) => {
        onAbort = () => op.fail(new Interrupted());
        opts.signal?.addEventListener("abort", onAbort, { once: true });
        const timeoutMs = opts.timeoutMs;
        if (timeoutMs) {
          timer = setTimeout(
            () =>
              op.fail(
                new HostError(this.name, `timed out after ${Math.round(timeoutMs / 1000)} s while ${doing}`),
              ),
            timeoutMs,
          );
        }
        this.opened.client.exec(command, (err, s) => {
          if (err) {
            cleanUp();
            return reject(
              this.lostError(doing) ?? new HostError(this.name, `cannot start ${doing}: ${err.message}`),
            );
          }
          stream = s;
          if (failed) return closeChannel();
          const out: Buffer[] = [];
          const errs: Buffer[] = [];
          s.on("data", (c: Buffer) => {
            out.push(c);
            opts.onStdout?.(c);
          });
          s.stderr.on("data", (c: Buffer) => {
            errs.push(c);
            opts.onStderr?.(c);
          });
          s.on("close", (code: number | null | undefined, signal?: string) => {
            cleanUp();
            // A channel torn down with its connection has no exit status: that is the loss, not an exit.
            const lost = this.lostError(doing);
            if (lost) return reject(lost);
            resolve({
              code: code ?? null,
              signal,
              stdout: Buffer.concat(out).toString("utf8"),
              stderr: Buffer.concat(errs).toString("utf8"),
            });
          });
          if (opts.stdin instanceof Readable) opts.stdin.pipe(s);
          else s.end(opts.stdin ?? "");
        });
      },
      bypassInterrupt,
      closeChannel,
    );
  }
}

/** The HostError for a command that did not exit 0: what ended how, and the tail of stderr (all of it kept). */
export function exitError(host: string, argv: Argv, r: ExecResult, doing?: string): HostError {
  const ended =
    r.code !== null
      ? `exited with ${r.code}`
      : r.signal
        ? `was killed by ${r.signal}`
        : "ended without an exit status";
  const what = `${doing ? `${doing} failed: ` : ""}${programOf(argv)} ${ended}`;
  const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
  return new HostError(host, tail ? `${what}: ${tail}` : what, undefined, r.stderr);
}

/** The program an argv runs, past `sudo -n --`: named in errors. */
function programOf(argv: Argv): string {
  return (argv[0] === "sudo" ? argv[argv.indexOf("--") + 1] : argv[0]) ?? "a command";
}

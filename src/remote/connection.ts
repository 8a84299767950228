import { readFile } from "node:fs/promises";
import net from "node:net";
import { type Duplex, Readable } from "node:stream";
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from "ssh2";
import { HostError } from "../errors.js";
import type { Argv } from "./command.js";
import { connectError, type Target } from "./connect-errors.js";
import type { HostKeyVerdict, KnownHosts } from "./known-hosts.js";
import { shellJoin } from "./quote.js";
import { Semaphore } from "./semaphore.js";

/** What np needs to reach one host (structurally the inventory's HostSpec). */
export interface SshEndpoint {
  name: string;
  address: string;
  ssh: {
    user: string;
    port: number;
    key?: string;
    passphraseEnv?: string;
    connectTimeoutSec: number;
    bastion?: { host: string; user: string; port: number; key?: string };
  };
}

export interface ConnectOptions {
  knownHosts: KnownHosts;
  env?: NodeJS.ProcessEnv;
  /** Concurrent channels per connection; sshd allows 10 sessions (MaxSessions) by default. */
  maxChannels?: number;
}

export interface ExecOptions {
  /** Sent to the command; a stream stays open (and so does the command's stdin) until it ends. */
  stdin?: string | Buffer | Readable;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** What the command does, for messages when it fails ("installing /usr/local/bin/consul"). */
  doing?: string;
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** One SSH connection to one host, reused for every step and closed at the end. */
export class SshConnection {
  private readonly channels: Semaphore;
  private closed = false;
  private lost = false;
  /** Round trips made on this connection: commands run and SFTP sessions opened (benchmarks report them). */
  roundTrips = 0;

  private constructor(
    readonly endpoint: SshEndpoint,
    private readonly client: Client,
    private readonly bastion: Client | undefined,
    maxChannels: number,
  ) {
    this.channels = new Semaphore(maxChannels);
    client.on("close", () => {
      if (!this.closed) this.lost = true;
    });
  }

  /** True once the connection died without np closing it (host down, network cut). */
  get isLost(): boolean {
    return this.lost;
  }

  get name(): string {
    return this.endpoint.name;
  }

  /** Opens the connection (through the bastion when one is set), verifying and pinning the host key. */
  static async open(endpoint: SshEndpoint, options: ConnectOptions): Promise<SshConnection> {
    const env = options.env ?? process.env;
    const { ssh } = endpoint;
    const timeoutMs = ssh.connectTimeoutSec * 1000;
    let bastion: Client | undefined;
    let sock: Duplex;
    if (ssh.bastion) {
      const b = ssh.bastion;
      const bTarget: Target = {
        host: `${endpoint.name} (bastion ${b.host})`,
        address: b.host,
        port: b.port,
        user: b.user,
        key: b.key,
      };
      const bSock = await openSocket(bTarget, timeoutMs);
      bastion = await handshake(
        bTarget,
        bSock,
        b.user,
        b.key,
        ssh.passphraseEnv,
        env,
        timeoutMs,
        options.knownHosts,
      );
      sock = await forward(bastion, endpoint.address, ssh.port).catch((err) => {
        bastion?.end();
        throw connectError(
          { host: endpoint.name, address: endpoint.address, port: ssh.port, user: ssh.user, via: b.host },
          err,
        );
      });
    } else {
      sock = await openSocket(targetOf(endpoint), timeoutMs);
    }
    const target = { ...targetOf(endpoint), via: ssh.bastion?.host };
    try {
      const client = await handshake(
        target,
        sock,
        ssh.user,
        ssh.key,
        ssh.passphraseEnv,
        env,
        timeoutMs,
        options.knownHosts,
      );
      return new SshConnection(endpoint, client, bastion, options.maxChannels ?? 8);
    } catch (err) {
      bastion?.end();
      throw err;
    }
  }

  /** Runs argv on the host and returns its exit code and output; never throws for a non-zero exit. */
  exec(argv: Argv, opts: ExecOptions = {}): Promise<ExecResult> {
    this.roundTrips++;
    return this.channels.use(() => this.execNow(shellJoin(argv), opts));
  }

  /** Like exec, but a non-zero exit becomes a HostError carrying the tail of stderr (all of it in `.stderr`). */
  async run(argv: Argv, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(argv, opts);
    if (r.code !== 0) {
      const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
      const what = `${argv[0] === "sudo" ? argv[3] : argv[0]} exited with ${r.code ?? r.signal}`;
      throw new HostError(this.name, tail ? `${what}: ${tail}` : what, undefined, r.stderr);
    }
    return r;
  }

  /** An SFTP session on this connection (one channel). */
  sftp(): Promise<SFTPWrapper> {
    this.roundTrips++;
    return new Promise((resolve, reject) =>
      this.client.sftp((err, sftp) =>
        err ? reject(new HostError(this.name, `SFTP unavailable: ${err.message}`)) : resolve(sftp),
      ),
    );
  }

  /** A TCP stream to host:port as seen from this host (SSH tunnel to cluster APIs on loopback). */
  forwardOut(host: string, port: number): Promise<ClientChannel> {
    return forward(this.client, host, port);
  }

  /** Closes the connection (and its bastion hop). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.end();
    this.bastion?.end();
  }

  private execNow(command: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error("aborted"));
      this.client.exec(command, (err, stream) => {
        if (err) return reject(new HostError(this.name, `cannot start a command: ${err.message}`));
        const out: Buffer[] = [];
        const errs: Buffer[] = [];
        let timer: NodeJS.Timeout | undefined;
        const stop = () => {
          // Ask the remote process to end, then close the channel so its pipes close too.
          stream.signal("TERM");
          stream.close();
        };
        const onAbort = () => {
          stop();
          reject(opts.signal?.reason ?? new Error("aborted"));
        };
        opts.signal?.addEventListener("abort", onAbort, { once: true });
        const timeoutMs = opts.timeoutMs;
        if (timeoutMs) {
          timer = setTimeout(() => {
            stop();
            reject(
              new HostError(
                this.name,
                `command timed out after ${Math.round(timeoutMs / 1000)}s: ${command.slice(0, 80)}`,
              ),
            );
          }, timeoutMs);
        }
        stream.on("data", (c: Buffer) => {
          out.push(c);
          opts.onStdout?.(c);
        });
        stream.stderr.on("data", (c: Buffer) => {
          errs.push(c);
          opts.onStderr?.(c);
        });
        stream.on("close", (code: number | null, signal?: string) => {
          clearTimeout(timer);
          opts.signal?.removeEventListener("abort", onAbort);
          resolve({
            code,
            signal,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(errs).toString("utf8"),
          });
        });
        if (opts.stdin instanceof Readable) opts.stdin.pipe(stream);
        else stream.end(opts.stdin ?? "");
      });
    });
  }
}

function targetOf(e: SshEndpoint): Target {
  const { user, port, key, passphraseEnv } = e.ssh;
  return { host: e.name, address: e.address, port, user, key, passphraseEnv };
}

/** A TCP socket with TCP_NODELAY: without it, ssh2 stalls ~40 ms per round trip on delayed ACKs (design.md). */
function openSocket(t: Target, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: t.address, port: t.port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(connectError(t, Object.assign(new Error("connect timeout"), { code: "NP_CONNECT_TIMEOUT" })));
    }, timeoutMs);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeAllListeners("error");
      resolve(sock);
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(connectError(t, err));
    });
  });
}

function forward(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.forwardOut("127.0.0.1", 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch))),
  );
}

async function handshake(
  t: Target,
  sock: Duplex,
  user: string,
  keyFile: string | undefined,
  passphraseEnv: string | undefined,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  knownHosts: KnownHosts,
): Promise<Client> {
  const config: ConnectConfig = {
    sock,
    username: user,
    readyTimeout: timeoutMs,
    keepaliveInterval: 15_000,
    keepaliveCountMax: 4,
  };
  if (keyFile) {
    try {
      config.privateKey = await readFile(keyFile);
    } catch (err) {
      throw new HostError(
        t.host,
        `cannot read the private key ${keyFile}: ${(err as Error).message}`,
        "check ssh.key in the inventory",
      );
    }
    // An empty variable counts as unset, so the error says the passphrase is missing rather than wrong.
    const passphrase = passphraseEnv ? env[passphraseEnv] : undefined;
    if (passphrase) config.passphrase = passphrase;
  } else if (env.SSH_AUTH_SOCK) {
    config.agent = env.SSH_AUTH_SOCK;
  } else {
    throw new HostError(
      t.host,
      "no SSH key given and no ssh-agent running",
      "set ssh.key in the inventory, or start ssh-agent and add your key",
    );
  }
  let verdict: HostKeyVerdict | undefined;
  config.hostVerifier = (key: Buffer, accept: (ok: boolean) => void) => {
    knownHosts.verify(t.address, t.port, key).then(
      (v) => {
        verdict = v;
        accept(v.kind !== "changed");
      },
      () => accept(false),
    );
  };
  const client = new Client();
  return new Promise((resolve, reject) => {
    client.once("ready", () => {
      client.removeAllListeners("error");
      // A connection lost later surfaces on the next exec; keep an error listener so it never crashes np.
      client.on("error", () => {});
      resolve(client);
    });
    client.once("error", (err) => {
      client.end();
      sock.destroy();
      reject(connectError(t, err, verdict));
    });
    try {
      client.connect(config);
    } catch (err) {
      // ssh2 throws at once for a key it cannot parse: the socket is ours to close, or np would never exit.
      sock.destroy();
      reject(connectError(t, err));
    }
  });
}

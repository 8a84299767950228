import net from "node:net";
import type { Duplex } from "node:stream";
import type { ClientChannel, Client as ClientType, ConnectConfig, PublicKeyAuthMethod } from "ssh2";
import { HostError } from "../errors.js";
import { connectError, type Target } from "./connect-errors.js";
import { KEEPALIVE } from "./connection-loss.js";
import type { HostKeyVerdict, KnownHosts } from "./known-hosts.js";
import { KeyFileUnreadable, loadPrivateKey, type ParsedKey } from "./private-key.js";
import { Client } from "./ssh2.js";

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

export interface OpenOptions {
  knownHosts: KnownHosts;
  env?: NodeJS.ProcessEnv;
  /** SSH keepalives (default KEEPALIVE: a silent network cut is noticed in 15-20 s). */
  keepalive?: { intervalMs: number; countMax: number };
}

/** An authenticated ssh2 client, the socket it runs over, and the bastion's client when tunnelled. */
export interface OpenedClient {
  client: ClientType;
  sock: Duplex;
  bastion?: ClientType;
}

/** Opens the connection (through the bastion when one is set), verifying and pinning the host key. */
export async function openClient(endpoint: SshEndpoint, options: OpenOptions): Promise<OpenedClient> {
  const { ssh } = endpoint;
  const timeoutMs = ssh.connectTimeoutSec * 1000;
  const login = (t: Target, sock: Duplex, user: string, key: string | undefined) =>
    handshake(t, sock, user, key, ssh.passphraseEnv, options, timeoutMs);
  let bastion: ClientType | undefined;
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
    bastion = await login(bTarget, await openSocket(bTarget, timeoutMs), b.user, b.key);
    sock = await forwardChannel(bastion, endpoint.address, ssh.port).catch((err) => {
      bastion?.end();
      throw connectError(
        { host: endpoint.name, address: endpoint.address, port: ssh.port, user: ssh.user, via: b.host },
        err,
      );
    });
  } else {
    sock = await openSocket(targetOf(endpoint), timeoutMs);
  }
  try {
    const client = await login({ ...targetOf(endpoint), via: ssh.bastion?.host }, sock, ssh.user, ssh.key);
    return { client, sock, bastion };
  } catch (err) {
    bastion?.end();
    throw err;
  }
}

/** A TCP stream to host:port as seen from the client's host; ssh2 throws at once when it is not connected. */
export function forwardChannel(client: ClientType, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.forwardOut("127.0.0.1", 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch))),
  );
}

function targetOf(e: SshEndpoint): Target {
  const { user, port, key, passphraseEnv } = e.ssh;
  return { host: e.name, address: e.address, port, user, key, passphraseEnv };
}

/**
 * Writes made in one turn of the event loop leave as one (writev): ssh2 writes every packet on its own (a TLS
 * record inside a channel, a window adjust, each request of a burst), and with TCP_NODELAY each write is a syscall
 * and a segment for np, and a wake-up and a read for the host's sshd.
 */
export function coalesceWrites(sock: net.Socket): void {
  const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
  let corked = false;
  sock.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(() => {
        corked = false;
        sock.uncork();
      });
    }
    return write(...args);
  }) as typeof sock.write;
}

/** A TCP socket with TCP_NODELAY: without it, ssh2 stalls ~40 ms per round trip on delayed ACKs (design.md). */
function openSocket(t: Target, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: t.address, port: t.port });
    sock.setNoDelay(true);
    coalesceWrites(sock);
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

async function handshake(
  t: Target,
  sock: Duplex,
  user: string,
  keyFile: string | undefined,
  passphraseEnv: string | undefined,
  options: OpenOptions,
  timeoutMs: number,
): Promise<ClientType> {
  const env = options.env ?? process.env;
  const keepalive = options.keepalive ?? KEEPALIVE;
  const config: ConnectConfig = {
    sock,
    username: user,
    readyTimeout: timeoutMs,
    keepaliveInterval: keepalive.intervalMs,
    keepaliveCountMax: keepalive.countMax,
  };
  if (keyFile) {
    // An empty variable counts as unset, so the error says the passphrase is missing rather than wrong.
    const passphrase = (passphraseEnv ? env[passphraseEnv] : undefined) || undefined;
    let key: ParsedKey;
    try {
      key = await loadPrivateKey(keyFile, passphrase);
    } catch (err) {
      sock.destroy();
      if (err instanceof KeyFileUnreadable)
        throw new HostError(
          t.host,
          `cannot read the private key ${keyFile}: ${err.message}`,
          "check ssh.key in the inventory",
        );
      throw connectError(t, err);
    }
    // ssh2 takes an already parsed key only through authHandler (config.privateKey would be parsed again).
    const method: PublicKeyAuthMethod = { type: "publickey", username: user, key };
    config.authHandler = [method];
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
    options.knownHosts.verify(t.address, t.port, key).then(
      (v) => {
        verdict = v;
        accept(v.kind === "known" || v.kind === "new");
      },
      () => accept(false),
    );
  };
  const client = new Client();
  return new Promise((resolve, reject) => {
    client.once("ready", () => {
      client.removeAllListeners("error");
      // Later errors are the connection's loss, which SshConnection watches; never let one crash np.
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

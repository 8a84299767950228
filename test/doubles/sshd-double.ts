// np's sshd TEST DOUBLE: it is NOT OpenSSH. An in-process SSH server (ssh2's Server) on loopback, behind a TCP
// relay that a test can cut silently (packets dropped, no FIN or RST: a network cut) or reset (the host's sshd
// killed), so np's connection layer can be driven through faults in milliseconds. It runs no shell: an exec'd
// command is looked up by its first word (see `exec` below); a forwarded port always leads back to the double
// itself (a bastion hop to "another host"). The real sshd is exercised by test/e2e.
import net from "node:net";
import { type Connection, Server, type ServerChannel } from "ssh2";
import { generateEd25519KeyPair } from "../../src/remote/generate-key.js";

export interface SshdDouble {
  port: number;
  /** Every command line the double was asked to run, in order. */
  commands: string[];
  /** Drops everything in both directions from now on, and keeps the sockets open (a silent network cut). */
  goSilent(): void;
  /** Destroys every client socket at once (the host's sshd died: the client sees the connection close). */
  killConnections(): void;
  /** Resolves once `n` commands have been started. */
  commandsStarted(n: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Commands by first word: `echo WORDS` prints them and exits 0; `exit N` exits N; `hang` never exits;
 * `no-status` closes its channel without an exit status; anything else (np's own scripts) hangs like `hang`
 * unless it is the stop-commands script, which exits 0 and ends every hanging command's channel with SIGTERM.
 */
function exec(line: string, channel: ServerChannel, hanging: Set<ServerChannel>): void {
  const [word, ...rest] = line.split(" ");
  if (word === "echo") {
    channel.write(`${rest.join(" ")}\n`);
    channel.exit(0);
    channel.end();
  } else if (word === "exit") {
    channel.exit(Number(rest[0]));
    channel.end();
  } else if (word === "no-status") {
    channel.end();
  } else if (line.includes("/proc/[0-9]*/stat")) {
    for (const h of hanging) {
      h.exit("TERM");
      h.end();
    }
    hanging.clear();
    channel.exit(0);
    channel.end();
  } else {
    hanging.add(channel);
  }
}

export interface SshdDoubleOptions {
  /** Runs a command before the built-in ones; returns true when it handled it (ended the channel itself). */
  exec?: (command: string, channel: ServerChannel, user: string) => boolean;
}

/** Starts the double on a loopback port; any key is accepted for any user. */
export async function startSshdDouble(opts: SshdDoubleOptions = {}): Promise<SshdDouble> {
  const commands: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hanging = new Set<ServerChannel>();
  const clients = new Set<Connection>();
  const server = new Server({ hostKeys: [generateEd25519KeyPair().private] }, (client) => {
    clients.add(client);
    client.on("error", () => {});
    client.on("close", () => clients.delete(client));
    let user = "";
    client.on("authentication", (ctx) => {
      user = ctx.username;
      ctx.accept();
    });
    client.on("session", (accept) => {
      const session = accept();
      session.on("exec", (acceptExec, _reject, info) => {
        commands.push(info.command);
        for (const w of waiters.filter((w) => commands.length >= w.n)) w.resolve();
        const channel = acceptExec();
        if (!opts.exec?.(info.command, channel, user)) exec(info.command, channel, hanging);
      });
      session.on("sftp", (acceptSftp) => {
        acceptSftp();
      });
    });
    // Port forwarding (np's tunnels, and a bastion hop): to the double's own SSH port, whatever was asked.
    client.on("tcpip", (acceptTcp) => {
      const channel = acceptTcp();
      const hop = net.connect(sshPort, "127.0.0.1");
      hop.on("error", () => channel.destroy());
      channel.on("error", () => hop.destroy());
      channel.pipe(hop).pipe(channel);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sshPort = (server.address() as net.AddressInfo).port;

  // The relay between np and the double: what a test cuts.
  let silent = false;
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(sshPort, "127.0.0.1");
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      sockets.add(from);
      from.on("data", (chunk) => {
        if (!silent) to.write(chunk);
      });
      from.on("error", () => {});
      from.on("close", () => {
        sockets.delete(from);
        if (!silent) to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    commands,
    goSilent: () => {
      silent = true;
    },
    killConnections: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    commandsStarted: (n) =>
      commands.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    stop: async () => {
      for (const s of sockets) s.destroy();
      for (const c of clients) c.end();
      await Promise.all([
        new Promise((resolve) => relay.close(resolve)),
        new Promise((resolve) => server.close(resolve)),
      ]);
    },
  };
}

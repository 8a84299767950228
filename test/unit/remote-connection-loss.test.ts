// SshConnection and Session against np's in-process sshd double (test/doubles/sshd-double.ts) on loopback, with
// short keepalives: a lost connection, a silent network cut and Ctrl-C in milliseconds. Real sshd: test/e2e.
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type HostError, Interrupted } from "../../src/errors.js";
import type { SshConnection, SshEndpoint } from "../../src/remote/connection.js";
import { ConnectionLost } from "../../src/remote/connection-loss.js";
import { generateEd25519KeyPair } from "../../src/remote/generate-key.js";
import { Session } from "../../src/remote/session.js";
import { type SshdDouble, startSshdDouble } from "../doubles/sshd-double.js";

const KEEPALIVE = { intervalMs: 100, countMax: 2 };

let sshd: SshdDouble;
let session: Session;
let abort: AbortController;
let endpoint: SshEndpoint;

beforeEach(async () => {
  sshd = await startSshdDouble();
  const dir = mkdtempSync(path.join(os.tmpdir(), "np-conn-"));
  const key = path.join(dir, "id_ed25519");
  writeFileSync(key, generateEd25519KeyPair().private, { mode: 0o600 });
  endpoint = {
    name: "node4",
    address: "127.0.0.1",
    ssh: { user: "root", port: sshd.port, key, connectTimeoutSec: 5 },
  };
  abort = new AbortController();
  session = await Session.create({
    stateDir: path.join(dir, ".np"),
    signal: abort.signal,
    keepalive: KEEPALIVE,
  });
});

afterEach(async () => {
  await session.close();
  await sshd.stop();
});

/** How a promise settles, without throwing: what a user would see. */
const outcome = (p: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe("a connection that dies", () => {
  it("runs commands while it lives", async () => {
    const conn = await session.connect(endpoint);
    expect((await conn.exec(["echo", "hi"])).stdout).toBe("hi\n");
    await expect(conn.run(["exit", "3"], { doing: "checking consul" })).rejects.toThrow(
      /^node4: checking consul failed: exit exited with 3$/,
    );
    await expect(conn.run(["no-status"])).rejects.toThrow(/^node4: no-status ended without an exit status$/);
    expect(conn.isLost).toBe(false);
  });

  it("fails every running and later command at once with 'connection lost', naming what np was doing", async () => {
    const conn = await session.connect(endpoint);
    const installing = outcome(conn.exec(["hang"], { doing: "installing /usr/local/bin/consul" }));
    const other = outcome(conn.exec(["sudo", "-n", "--", "sh", "-s"]));
    await sshd.commandsStarted(2);
    const cut = Date.now();
    sshd.killConnections();
    const [a, b] = await Promise.all([installing, other]);
    expect(Date.now() - cut).toBeLessThan(2_000);
    expect(a.error).toBeInstanceOf(ConnectionLost);
    expect((a.error as HostError).message).toBe(
      "node4: connection lost while installing /usr/local/bin/consul: reset by the host",
    );
    expect((a.error as HostError).hint).toMatch(/run np again: `np up` continues where it stopped/);
    expect((b.error as HostError).message).toBe("node4: connection lost while running sh: reset by the host");
    expect(conn.isLost).toBe(true);
    expect((await conn.lost).message).toBe("node4: connection lost: reset by the host");
    // Later work: rejected promises (never a synchronous throw, never "exited with undefined").
    const later = conn.exec(["echo", "late"], { doing: "reading the lock" });
    await expect(later).rejects.toThrow("node4: connection lost while reading the lock: reset by the host");
    await expect(conn.sftp("uploading consul.hcl")).rejects.toBeInstanceOf(ConnectionLost);
    await expect(conn.forwardOut("127.0.0.1", 8500)).rejects.toThrow(
      "node4: connection lost while opening a tunnel to 127.0.0.1:8500: reset by the host",
    );
    expect(conn.lostError("waiting for quorum")?.message).toBe(
      "node4: connection lost while waiting for quorum: reset by the host",
    );
  });

  it("turns ssh2's synchronous 'Not connected' into a rejected ConnectionLost", async () => {
    const conn = await session.connect(endpoint);
    // The socket dies in this very tick: ssh2 sees it unwritable before any 'close' event is delivered.
    (conn as unknown as { opened: { sock: { destroy(): void } } }).opened.sock.destroy();
    const attempt = conn.exec(["echo", "x"], { doing: "taking the cluster lock" });
    await expect(attempt).rejects.toThrow(
      "node4: connection lost while taking the cluster lock: the connection is gone",
    );
    expect(conn.isLost).toBe(true);
  });

  it("fails the commands still queued for a channel too", async () => {
    const conn = await session.connect(endpoint);
    // 8 channels at most: the other 4 wait for a free one.
    const all = Array.from({ length: 12 }, (_, i) => outcome(conn.exec(["hang"], { doing: `step ${i}` })));
    await sshd.commandsStarted(8);
    sshd.killConnections();
    const results = await Promise.all(all);
    expect(results.map((r) => (r.error as Error).message)).toEqual(
      Array.from({ length: 12 }, (_, i) => `node4: connection lost while step ${i}: reset by the host`),
    );
    expect(sshd.commands).toHaveLength(8);
  });

  it("notices a silent network cut through keepalives, within (countMax + 1) intervals", async () => {
    const conn = await session.connect(endpoint);
    const running = outcome(conn.exec(["hang"], { doing: "waiting for the Consul quorum" }));
    await sshd.commandsStarted(1);
    const cut = Date.now();
    sshd.goSilent();
    const { error } = await running;
    const took = Date.now() - cut;
    expect((error as Error).message).toBe(
      "node4: connection lost while waiting for the Consul quorum: no answer for 0.2 s",
    );
    expect(took).toBeGreaterThanOrEqual(KEEPALIVE.intervalMs * KEEPALIVE.countMax - 20);
    expect(took).toBeLessThan(KEEPALIVE.intervalMs * (KEEPALIVE.countMax + 1) + 1_500);
    await expect(conn.lost).resolves.toBeInstanceOf(ConnectionLost);
  });

  it("is lost with its bastion: the hop's loss names the bastion", async () => {
    // The bastion's connection goes through the relay; the hop to the host, inside the double, does not.
    const conn = await session.connect({
      ...endpoint,
      ssh: {
        ...endpoint.ssh,
        port: 22,
        bastion: { host: "127.0.0.1", port: sshd.port, user: "root", key: endpoint.ssh.key },
      },
    });
    expect((await conn.exec(["echo", "hop"])).stdout).toBe("hop\n");
    const running = outcome(conn.exec(["hang"], { doing: "writing /etc/consul.d/consul.hcl" }));
    await sshd.commandsStarted(2);
    sshd.killConnections();
    expect(((await running).error as Error).message).toBe(
      "node4: connection lost while writing /etc/consul.d/consul.hcl: the bastion's connection was lost: reset by the host",
    );
  });

  it("is not lost when np closes it", async () => {
    const conn: SshConnection = await session.connect(endpoint);
    await session.close();
    expect(conn.isLost).toBe(false);
    await expect(conn.exec(["echo", "x"])).rejects.toThrow(/connection already closed by np/);
  });
});

describe("Ctrl-C (the session's signal)", () => {
  it("fails every running command of every connection at once with Interrupted and stops them on the host", async () => {
    const one = await session.connect(endpoint);
    const two = await session.connect({ ...endpoint, name: "node5" });
    const running = [
      outcome(one.exec(["hang"], { doing: "installing consul" })),
      outcome(one.exec(["hang"])),
      outcome(two.exec(["hang"])),
    ];
    await sshd.commandsStarted(3);
    abort.abort();
    const results = await Promise.all(running);
    for (const r of results) expect(r.error).toBeInstanceOf(Interrupted);
    await session.close();
    // One stop-commands script per connection that had commands running.
    expect(sshd.commands.filter((c) => c.includes("/proc/[0-9]*/stat"))).toHaveLength(2);
    await expect(one.exec(["echo", "after"])).rejects.toBeInstanceOf(Interrupted);
    expect(one.isLost).toBe(false);
  });
});

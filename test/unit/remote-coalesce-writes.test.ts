// coalesceWrites (src/remote/open-connection.ts): the packets ssh2 writes in one turn of the event loop leave the
// socket in one writev, and arrive whole and in order.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { coalesceWrites } from "../../src/remote/open-connection.js";

async function pair(): Promise<{ client: net.Socket; received: () => Promise<string>; close: () => void }> {
  let data = "";
  let ended: () => void = () => {};
  const done = new Promise<void>((r) => {
    ended = r;
  });
  const server = net.createServer((s) => {
    s.on("data", (d) => {
      data += d;
    });
    s.on("end", () => ended());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect({ host: "127.0.0.1", port });
  await new Promise((r) => client.once("connect", r));
  return { client, received: () => done.then(() => data), close: () => server.close() };
}

/** How the socket hands its writes to the OS: one entry per _write, or one per _writev with its chunk count. */
function syscalls(sock: net.Socket): string[] {
  const calls: string[] = [];
  const s = sock as unknown as {
    _write: (...a: unknown[]) => void;
    _writev: (chunks: unknown[], cb: unknown) => void;
  };
  const write = s._write.bind(sock);
  const writev = s._writev.bind(sock);
  s._write = (...a) => {
    calls.push("write");
    write(...a);
  };
  s._writev = (chunks, cb) => {
    calls.push(`writev ${chunks.length}`);
    writev(chunks, cb);
  };
  return calls;
}

describe("coalesceWrites", () => {
  it("sends the writes of one tick in one writev, the next tick's in another, all in order", async () => {
    const { client, received, close } = await pair();
    coalesceWrites(client);
    const calls = syscalls(client);
    client.write("a");
    client.write("b");
    client.write("c");
    await new Promise((r) => setImmediate(r));
    client.write("d");
    client.write("e");
    await new Promise((r) => setImmediate(r));
    client.end();
    expect(await received()).toBe("abcde");
    expect(calls).toEqual(["writev 3", "writev 2"]);
    close();
  });

  it("a socket without it writes each chunk on its own (what the test above tells apart)", async () => {
    const { client, received, close } = await pair();
    const calls = syscalls(client);
    client.write("a");
    client.write("b");
    await new Promise((r) => setImmediate(r));
    client.end();
    expect(await received()).toBe("ab");
    expect(calls[0]).toBe("write");
    close();
  });
});

import type { AddressInfo } from "node:net";
import net from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsonApi } from "../../src/api/http.js";
import { tunnelDispatcher } from "../../src/api/tunnel.js";
import { createCa, issueLeaf } from "../../src/pki/issue.js";
import type { KeyPair } from "../../src/pki/types.js";
import type { SshConnection } from "../../src/remote/connection.js";

// TLS inside np's tunnels, with the SSH channel replaced by a plain TCP connection to a local TLS server: the
// server's certificate must be of the cluster CA and name the address, and every connection after the first
// resumes the last session (a full handshake per connection is CPU np and the server pay on every run).
const leaf = (id: string, usages: ("serverAuth" | "clientAuth")[]) => ({
  id,
  commonName: id,
  dnsNames: [],
  ips: ["127.0.0.1"],
  usages,
  validityDays: 30,
});

describe("TLS inside a tunnel", () => {
  let ca: KeyPair;
  let other: KeyPair;
  let server: tls.Server;
  let port = 0;
  const handshakes: { resumed: boolean; clientCert: boolean }[] = [];

  beforeAll(async () => {
    ca = await createCa("test CA", 30);
    other = await createCa("another CA", 30);
    const cert = await issueLeaf(ca, leaf("server", ["serverAuth"]));
    server = tls.createServer(
      { cert: cert.certPem, key: cert.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
      (s) => {
        handshakes.push({ resumed: s.isSessionReused(), clientCert: s.authorized });
        // One answer per connection, then close: every request needs a new connection (and handshake).
        s.once("data", () =>
          s.end(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
          ),
        );
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  // The SSH channel, as a TCP connection to the local server.
  const conn = {
    forwardOut: (host: string, p: number) =>
      new Promise((resolve, reject) => {
        const s = net.connect(p, host, () => resolve(s));
        s.once("error", reject);
      }),
  } as unknown as SshConnection;

  it("checks the server against the cluster CA, presents np's certificate, and resumes the session", async () => {
    const client = await issueLeaf(ca, leaf("np", ["clientAuth"]));
    const d = await tunnelDispatcher(conn, "127.0.0.1", port, {
      ca: ca.certPem,
      host: "127.0.0.1",
      cert: client.certPem,
      key: client.keyPem,
    });
    const api = new JsonApi("Test", `https://127.0.0.1:${port}`, d);
    try {
      handshakes.length = 0;
      for (let i = 0; i < 3; i++) expect((await api.get("/")).status).toBe(200);
      expect(handshakes.map((h) => h.clientCert)).toEqual([true, true, true]);
      expect(handshakes.map((h) => h.resumed)).toEqual([false, true, true]);
    } finally {
      await d.destroy();
    }
  });

  it("refuses a server whose certificate is not of the cluster CA", async () => {
    const d = await tunnelDispatcher(conn, "127.0.0.1", port, { ca: other.certPem, host: "127.0.0.1" });
    try {
      await expect(new JsonApi("Test", `https://127.0.0.1:${port}`, d).get("/")).rejects.toThrow(
        /unable to verify|self.signed|certificate/i,
      );
    } finally {
      await d.destroy();
    }
  });

  it("refuses a server whose certificate does not name the address", async () => {
    const d = await tunnelDispatcher(conn, "127.0.0.1", port, { ca: ca.certPem, host: "10.0.0.9" });
    try {
      await expect(new JsonApi("Test", `https://127.0.0.1:${port}`, d).get("/")).rejects.toThrow(
        /IP: 10\.0\.0\.9 is not in the cert's list|altnames/i,
      );
    } finally {
      await d.destroy();
    }
  });
});

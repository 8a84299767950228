// Contract test of np's Nomad double with TLS and ACLs on: a 3-server + 1-client cluster of double processes on
// loopback, mutual TLS on HTTP and RPC from a CA made here (node:crypto's WebCrypto + @peculiar/x509), ACLs
// bootstrapped through the API. Checked against Nomad 1.10's texts (command/agent/http.go, nomad/acl_endpoint.go,
// nomad/structs/errors.go) and the bootstrap sample (reference/nomad-api/acl-tokens__bootstrap-token__*).
import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { webcrypto } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DOUBLE = fileURLToPath(new URL("../doubles/nomad-double.mjs", import.meta.url));
const ENV = {
  ...process.env,
  NOMAD_DOUBLE_GOSSIP_MS: "150",
  NOMAD_DOUBLE_FAILURE_MS: "1500",
  NOMAD_DOUBLE_NODE_TTL_MS: "3000",
  NOMAD_DOUBLE_RPC_HOLD_MS: "1500",
};
// Keys of reference/nomad-api/acl-tokens__bootstrap-token__sample-response.json (the doc sample predates
// Roles, Hash, ExpirationTime and ExpirationTTL, which structs.ACLToken of 1.10 adds).
const BOOTSTRAP_SAMPLE = [
  "AccessorID",
  "CreateIndex",
  "CreateTime",
  "Global",
  "ModifyIndex",
  "Name",
  "Policies",
  "SecretID",
  "Type",
];
const TOKEN_1_10 = [...BOOTSTRAP_SAMPLE, "ExpirationTTL", "ExpirationTime", "Hash", "Roles"].sort();

// ---------------------------------------------------------------- a test CA and certificates
const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
// node:crypto's WebCrypto is the DOM `Crypto` @peculiar/x509 expects (the two type declarations differ)
x509.cryptoProvider.set(webcrypto as unknown as Crypto);
interface Pem {
  cert: string;
  key: string;
}
interface Ca extends Pem {
  obj: x509.X509Certificate;
  keys: CryptoKeyPair;
}
const validity = () => ({
  notBefore: new Date(Date.now() - 60_000),
  notAfter: new Date(Date.now() + 86_400_000),
});
const keyPem = async (k: CryptoKey) =>
  x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", k), "PRIVATE KEY");
let serial = 1;
async function makeCa(name: string): Promise<Ca> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const obj = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16).padStart(2, "0"),
    name: `CN=${name}`,
    keys,
    signingAlgorithm: ALG,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { obj, keys, cert: obj.toString("pem"), key: await keyPem(keys.privateKey) };
}
async function makeCert(ca: Ca, cn: string, dns: string[], ips: string[]): Promise<Pem> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(2, "0"),
    subject: `CN=${cn}`,
    issuer: ca.obj.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    ...validity(),
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        ...dns.map((value) => ({ type: "dns" as const, value })),
        ...ips.map((value) => ({ type: "ip" as const, value })),
      ]),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}

// ---------------------------------------------------------------- the cluster
const root = mkdtempSync(path.join(tmpdir(), "np-nomad-sec-"));
const SERVERS = ["127.0.0.51", "127.0.0.52", "127.0.0.53"];
const CLIENT = "127.0.0.54";
const ROGUE = "127.0.0.55";
interface Agent {
  name: string;
  ip: string;
  proc?: ChildProcess;
  output: string;
  exited?: Promise<number | null>;
}
const agents: Agent[] = [];
let ca: Ca;
let operator: Pem; // what np would present: a client certificate of the cluster CA
let stranger: Pem; // a client certificate from another CA

function writeAgent(name: string, ip: string, role: "server" | "client", pem: Pem): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, v] of [
    ["ca.pem", ca.cert],
    ["cert.pem", pem.cert],
    ["key.pem", pem.key],
  ])
    writeFileSync(path.join(dir, f), v, { mode: 0o600 });
  const join = JSON.stringify(SERVERS);
  const roleBlock =
    role === "server"
      ? `server {\n  enabled = true\n  bootstrap_expect = 3\n  server_join {\n    retry_join = ${join}\n  }\n}\nautopilot {\n  server_stabilization_time = "1s"\n}\n`
      : `client {\n  enabled = true\n  servers = ${join}\n}\nplugin "raw_exec" {\n  config {\n    enabled = true\n  }\n}\n`;
  const hcl = `name = "${name}"
data_dir = "${dir}/data"
bind_addr = "${ip}"
${roleBlock}tls {
  http                   = true
  rpc                    = true
  ca_file                = "${dir}/ca.pem"
  cert_file              = "${dir}/cert.pem"
  key_file               = "${dir}/key.pem"
  verify_server_hostname = true
  verify_https_client    = true
}
acl {
  enabled = true
}
`;
  writeFileSync(path.join(dir, "nomad.hcl"), hcl);
  return path.join(dir, "nomad.hcl");
}

function start(name: string, ip: string, config: string): Agent {
  const a: Agent = { name, ip, output: "" };
  const proc = spawn(process.execPath, [DOUBLE, "agent", "-config", config], {
    env: ENV,
    stdio: ["ignore", "pipe", "pipe"],
  });
  a.proc = proc;
  proc.stdout?.on("data", (d) => {
    a.output += d;
  });
  proc.stderr?.on("data", (d) => {
    a.output += d;
  });
  a.exited = new Promise((resolve) => proc.on("exit", (code) => resolve(code)));
  agents.push(a);
  return a;
}

// ---------------------------------------------------------------- HTTP(S) helpers
interface Reply {
  status: number;
  type: string;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: API JSON under test
  body: any;
}
interface Req {
  method?: string;
  body?: unknown;
  token?: string;
  bearer?: string;
  pem?: Pem | null;
}
/** One HTTPS request to an agent, presenting `pem` (the operator's certificate by default). */
function api(ip: string, p: string, o: Req = {}): Promise<Reply> {
  const pem = o.pem === undefined ? operator : o.pem;
  const headers: Record<string, string> = {};
  if (o.token) headers["X-Nomad-Token"] = o.token;
  if (o.bearer) headers.Authorization = `Bearer ${o.bearer}`;
  const data = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: ip,
        port: 4646,
        path: p,
        method: o.method ?? "GET",
        headers,
        ca: ca.cert,
        cert: pem?.cert,
        key: pem?.key,
        servername: "localhost",
        agent: false,
        timeout: 20_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {}
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers["content-type"] ?? ""),
            text,
            body,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(data);
  });
}
/** What a client gets when the TLS handshake is refused: the error, never an HTTP answer. */
async function refused(ip: string, pem: Pem | null): Promise<NodeJS.ErrnoException> {
  try {
    const r = await api(ip, "/v1/status/leader", { pem });
    throw new Error(`expected the handshake to fail, got HTTP ${r.status}`);
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const logs = agents.map((a) => `--- ${a.name}\n${a.output.slice(-2000)}`).join("\n");
  throw new Error(`timed out waiting for ${what} (last error: ${String(last)})\n${logs}`);
}

const JOB = {
  Job: {
    ID: "sec-web",
    Name: "sec-web",
    Type: "service",
    Datacenters: ["dc1"],
    TaskGroups: [
      {
        Name: "web",
        Count: 1,
        Tasks: [
          {
            Name: "web",
            Driver: "raw_exec",
            Config: { command: "/bin/sh", args: ["-c", "echo hello-over-tls; exec sleep 300"] },
          },
        ],
      },
    ],
  },
};

describe("np's Nomad double with mutual TLS and ACLs (3 servers + 1 client on loopback)", () => {
  let mgmt: { SecretID: string; AccessorID: string; CreateIndex: number };

  beforeAll(async () => {
    ca = await makeCa("np test CA");
    const other = await makeCa("another CA");
    operator = await makeCert(ca, "np operator", ["client.global.nomad", "localhost"], ["127.0.0.1"]);
    stranger = await makeCert(other, "stranger", ["client.global.nomad", "localhost"], ["127.0.0.1"]);
    for (const [i, ip] of SERVERS.entries()) {
      const pem = await makeCert(ca, "server.global.nomad", ["server.global.nomad", "localhost"], [ip]);
      start(`s${i + 1}`, ip, writeAgent(`s${i + 1}`, ip, "server", pem));
    }
    const cpem = await makeCert(ca, "client.global.nomad", ["client.global.nomad", "localhost"], [CLIENT]);
    start("c1", CLIENT, writeAgent("c1", CLIENT, "client", cpem));
    await until("a leader over HTTPS", async () => {
      const r = await api(SERVERS[0], "/v1/status/leader");
      return r.status === 200 && r.body !== "" ? r.body : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    // a Nomad client leaves its tasks running when it stops: stop the job first so no process outlives the test
    if (mgmt) {
      await api(SERVERS[0], "/v1/job/sec-web?purge=true", { method: "DELETE", token: mgmt.SecretID });
      await until("the task stopped", async () => {
        const r = await api(SERVERS[0], "/v1/allocations", { token: mgmt.SecretID });
        return (
          r.status === 200 && !r.body.some((x: { ClientStatus: string }) => x.ClientStatus === "running")
        );
      }).catch(() => undefined);
    }
    for (const a of agents) a.proc?.kill("SIGKILL");
    await Promise.all(agents.map((a) => a.exited));
    rmSync(root, { recursive: true, force: true });
  });

  it("answers plain HTTP on the TLS port with Go's 400 and text, then closes", async () => {
    const r = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      http
        .get({ host: SERVERS[0], port: 4646, path: "/v1/status/leader", agent: false }, (res) => {
          let text = "";
          res.on("data", (d) => {
            text += d;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        })
        .on("error", reject);
    });
    expect(r).toEqual({ status: 400, text: "Client sent an HTTP request to an HTTPS server.\n" });
  });

  it("refuses the TLS handshake without a client certificate (verify_https_client)", async () => {
    const e = await refused(SERVERS[0], null);
    // OpenSSL's alert for a Go server's tls.RequireAndVerifyClientCert: "certificate required" (TLS 1.3)
    expect(`${e.code} ${e.message}`).toMatch(/CERTIFICATE_REQUIRED|certificate required|ECONNRESET/i);
  });

  it("refuses a client certificate signed by another CA", async () => {
    const e = await refused(SERVERS[0], stranger);
    expect(`${e.code} ${e.message}`).toMatch(/UNKNOWN_CA|unknown ca|ECONNRESET/i);
  });

  it("bootstraps once: the sample's shape, a management token; a second call is refused", async () => {
    const r = await api(SERVERS[1], "/v1/acl/bootstrap", { method: "POST" });
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(TOKEN_1_10);
    for (const k of BOOTSTRAP_SAMPLE) expect(Object.keys(r.body)).toContain(k);
    expect(r.body).toMatchObject({
      Name: "Bootstrap Token",
      Type: "management",
      Policies: null,
      Global: true,
    });
    expect(r.body.SecretID).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.CreateIndex).toBe(r.body.ModifyIndex);
    expect(r.body.CreateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    mgmt = r.body;
    const again = await api(SERVERS[0], "/v1/acl/bootstrap", { method: "POST" });
    expect([again.status, again.text]).toEqual([
      400,
      `ACL bootstrap already done (reset index: ${mgmt.CreateIndex})`,
    ]);
  });

  it("denies anonymous requests with 403 `Permission denied` (text/plain), except what Nomad allows", async () => {
    for (const p of ["/v1/jobs", "/v1/nodes", "/v1/agent/members", "/v1/operator/raft/configuration"]) {
      const r = await api(SERVERS[0], p);
      expect([p, r.status, r.text]).toEqual([p, 403, "Permission denied"]);
      expect(r.type).toMatch(/^text\/plain/);
    }
    // agent/self resolves the token itself: the anonymous token has no agent:read either
    expect((await api(SERVERS[0], "/v1/agent/self")).text).toBe("Permission denied");
    // Status.Leader/Peers and the health endpoint make no ACL check
    for (const p of ["/v1/status/leader", "/v1/status/peers", "/v1/agent/health", "/v1/regions"])
      expect([p, (await api(SERVERS[0], p)).status]).toEqual([p, 200]);
    // ACL.WhoAmI answers with the anonymous token
    expect((await api(SERVERS[0], "/v1/acl/token/self")).body).toMatchObject({
      AccessorID: "anonymous",
      Name: "Anonymous Token",
      Policies: ["anonymous"],
    });
  });

  it("says `ACL token not found` (403) where Nomad resolves an unknown secret, `Permission denied` elsewhere", async () => {
    const unknown = "11111111-2222-3333-4444-555555555555";
    const self = await api(SERVERS[0], "/v1/agent/self", { token: unknown });
    expect([self.status, self.text]).toEqual([403, "ACL token not found"]);
    const jobs = await api(SERVERS[0], "/v1/jobs", { bearer: unknown });
    expect([jobs.status, jobs.text]).toEqual([403, "Permission denied"]);
    // a client agent resolves tokens through a server (ACL.WhoAmI), which answers Permission denied
    const viaClient = await api(CLIENT, "/v1/agent/self", { token: unknown });
    expect([viaClient.status, viaClient.text]).toEqual([403, "Permission denied"]);
  });

  it("lets a read-job-only token read but not register; a management token registers", async () => {
    const rules = 'namespace "default" {\n  capabilities = ["read-job"]\n}\n';
    const put = await api(SERVERS[0], "/v1/acl/policy/reader", {
      method: "POST",
      token: mgmt.SecretID,
      body: { Name: "reader", Description: "read jobs", Rules: rules },
    });
    expect([put.status, put.text]).toEqual([200, ""]);
    const pol = await api(SERVERS[0], "/v1/acl/policy/reader", { token: mgmt.SecretID });
    expect(pol.body.RulesJSON.Namespaces).toEqual([
      { Name: "default", Policy: "", Capabilities: ["read-job"], Variables: null },
    ]);
    const tok = await api(SERVERS[0], "/v1/acl/token", {
      method: "POST",
      token: mgmt.SecretID,
      body: { Name: "reader", Type: "client", Policies: ["reader"] },
    });
    expect(tok.status, tok.text).toBe(200);
    expect(tok.body).toMatchObject({ Name: "reader", Type: "client", Policies: ["reader"], Global: false });
    const reader = tok.body.SecretID as string;

    const denied = await api(SERVERS[0], "/v1/jobs", { method: "POST", token: reader, body: JOB });
    expect([denied.status, denied.text]).toEqual([403, "Permission denied"]);
    // read-job reads a job (here: not there yet), but listing needs list-jobs
    expect((await api(SERVERS[0], "/v1/job/sec-web", { token: reader })).status).toBe(404);
    expect((await api(SERVERS[0], "/v1/jobs", { token: reader })).status).toBe(403);

    const ok = await api(SERVERS[2], "/v1/jobs", { method: "POST", token: mgmt.SecretID, body: JOB });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.EvalID).toMatch(/^[0-9a-f-]{36}$/);
    const read = await api(SERVERS[0], "/v1/job/sec-web", { token: reader });
    expect([read.status, read.body?.ID]).toEqual([200, "sec-web"]);
    // the token's own view of itself, and the management listing
    expect((await api(SERVERS[0], "/v1/acl/token/self", { token: reader })).body.AccessorID).toBe(
      tok.body.AccessorID,
    );
    const list = await api(SERVERS[0], "/v1/acl/tokens", { token: mgmt.SecretID });
    expect(list.body.map((t: { Name: string }) => t.Name)).toEqual(["Bootstrap Token", "reader"]);
    expect(list.body[0].SecretID).toBeUndefined();
    expect((await api(SERVERS[0], "/v1/acl/tokens", { token: reader })).status).toBe(403);
  });

  it("replicates the ACL state: a follower (?stale) and the client agent know the tokens", async () => {
    const leader = (await api(SERVERS[0], "/v1/status/leader")).body as string;
    const follower = SERVERS.find((ip) => !leader.startsWith(`${ip}:`)) as string;
    await until("the follower's copy of the ACL state", async () => {
      const r = await api(follower, "/v1/acl/token/self?stale", { token: mgmt.SecretID });
      return r.status === 200 && r.body.AccessorID === mgmt.AccessorID;
    });
    const viaClient = await api(CLIENT, "/v1/job/sec-web", { token: mgmt.SecretID });
    expect([viaClient.status, viaClient.body?.ID]).toEqual([200, "sec-web"]);
    expect((await api(CLIENT, "/v1/job/sec-web")).text).toBe("Permission denied");
  });

  it("streams task logs over HTTPS only to tokens with read-logs (a denial is Nomad's 500)", async () => {
    const allocs = await until("a running alloc", async () => {
      const r = await api(SERVERS[0], "/v1/job/sec-web/allocations", { token: mgmt.SecretID });
      return r.body?.find((a: { ClientStatus: string }) => a.ClientStatus === "running");
    });
    const logs = `/v1/client/fs/logs/${allocs.ID}?task=web&type=stdout&plain=true`;
    // a server checks the token, then proxies to the client's HTTPS API, which checks it again
    const text = await until("the task's output", async () => {
      const r = await api(SERVERS[1], logs, { token: mgmt.SecretID });
      return r.status === 200 && r.text.includes("hello-over-tls") ? r.text : undefined;
    });
    expect(text).toBe("hello-over-tls\n");
    expect((await api(CLIENT, logs, { token: mgmt.SecretID })).text).toBe("hello-over-tls\n");
    const tok = await api(SERVERS[0], "/v1/acl/token", {
      method: "POST",
      token: mgmt.SecretID,
      body: { Name: "reader-2", Type: "client", Policies: ["reader"] },
    });
    for (const ip of [SERVERS[1], CLIENT]) {
      const r = await api(ip, logs, { token: tok.body.SecretID });
      expect([ip, r.status, r.text]).toEqual([ip, 500, "Permission denied"]);
    }
  });

  it("keeps out a server whose certificate lacks server.global.nomad (verify_server_hostname)", async () => {
    const pem = await makeCert(ca, "rogue", ["rogue.example", "localhost"], [ROGUE]);
    const rogue = start("rogue", ROGUE, writeAgent("rogue", ROGUE, "server", pem));
    // the servers refuse its certificate on their raft (serf) port: it never learns a peer, they never list it
    const refusals = () =>
      agents
        .filter((a) => a.name.startsWith("s"))
        .flatMap((a) => a.output.split("\n"))
        .filter((l) => l.includes("unauthorized raft connection") && l.includes("[rogue.example localhost]"))
        .length;
    await until("three refusals of the rogue's certificate", async () => refusals() >= 3, 15_000);
    // The rogue logs its failed join once its own requests fail, a moment after the servers logged the refusal.
    const joinFailed = /\[WARN\] +agent\.joiner: join failed: error="[^"]*remote error: tls: bad certificate/;
    await until("the rogue's failed join", async () => joinFailed.test(rogue.output), 15_000);
    expect(rogue.output).toMatch(joinFailed);
    const raft = await api(SERVERS[0], "/v1/operator/raft/configuration", { token: mgmt.SecretID });
    expect(raft.body.Servers.map((s: { Address: string }) => s.Address.split(":")[0]).sort()).toEqual(
      SERVERS,
    );
    const members = await api(SERVERS[0], "/v1/agent/members", { token: mgmt.SecretID });
    expect(members.body.Members.map((m: { Addr: string }) => m.Addr)).not.toContain(ROGUE);
    const alone = await api(ROGUE, "/v1/status/leader");
    expect([alone.status, alone.text]).toEqual([500, "No cluster leader"]);
  });
});

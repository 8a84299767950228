// Contract test of np's Nomad security code against np's Nomad double (NOT Nomad) started from np's own renders:
// 3 servers + 1 client on loopback with the tls and acl blocks np writes and the certificates np issues (src/pki);
// np's bootstrap, its ACL policies and tokens, np's NomadApi with the operator certificate, np-agent's read of
// its node's allocations with its own certificate and token, and the double's TLS reload on SIGHUP.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchNodeAllocations } from "../../agent/src/nomad/allocations.js";
import { ApiError } from "../../src/api/http.js";
import { NomadAclAlreadyBootstrapped, NomadAclApi } from "../../src/api/nomad-acl.js";
import { loadClusterSecrets } from "../../src/cluster/cluster-secrets.js";
import { nomadAclActions, readNomadAcl } from "../../src/cluster/nomad-acl.js";
import { bootstrapNomadAcl, isNomadManagement } from "../../src/cluster/nomad-acl-bootstrap.js";
import { readQuorum } from "../../src/cluster/quorum.js";
import {
  NOMAD_MANAGEMENT,
  NOMAD_TOKEN,
  nomadAcl,
  nomadAgentCertProfile,
} from "../../src/components/nomad/index.js";
import { createCa, issueLeaf, operatorProfile, PkiStore } from "../../src/pki/index.js";
import { npAgentClientProfile } from "../../src/pki/profiles.js";
import { TLS_SECRET } from "../../src/pki/values.js";
import { SecretStore, type SecretValues } from "../../src/secrets/index.js";
import { until as waitFor } from "../helpers/consul-tls-cluster.js";
import { LoopbackNomad, nomadDispatcher, nomadHttps } from "../helpers/nomad-tls-cluster.js";
import { host, inventory } from "../unit/render-fixtures.js";

const at = (name: string, octet: number, roles: Parameters<typeof host>[2]) =>
  host(name, octet, roles, { privateAddress: `127.0.0.${octet}` });
const S = [at("s1", 71, ["server"]), at("s2", 72, ["server"]), at("s3", 73, ["server"])];
const C = at("c1", 74, ["client"]);
const inv = { ...inventory([...S, C]), dir: mkdtempSync(path.join(os.tmpdir(), "np-nomad-acl-")) };
const s1 = S[0] as (typeof S)[number];
const stateDir = path.join(inv.dir, ".np");

let cluster: LoopbackNomad;
let secrets: SecretValues;
let ca = "";
let dispatcher: ReturnType<typeof nomadDispatcher>;
const reveal = (name: string) => secrets.get(name).reveal();
const leaf = (id: string) => ({ cert: reveal(TLS_SECRET.cert(id)), key: reveal(TLS_SECRET.key(id)) });
const as = (token?: string) => nomadHttps(s1, dispatcher, token);
const management = () => reveal(NOMAD_MANAGEMENT.name);
/** Applies np's ACL actions as `np up` does, saving each SecretID Nomad makes; returns what was done. */
async function converge(): Promise<string[]> {
  const api = new NomadAclApi(as(management()));
  const desired = nomadAcl(inv);
  const done: string[] = [];
  for (const a of nomadAclActions(desired, await readNomadAcl(api, desired, secrets))) {
    const secret = await a.apply(api);
    if (a.secret && secret)
      await new SecretStore(stateDir).save({ name: a.secret, valid: () => true, describe: "" }, secret);
    done.push(`${a.kind} ${a.name}`);
  }
  secrets = (await loadClusterSecrets(inv)).secrets;
  return done;
}
/** Waits for `fn` (helpers' until), adding the agents' last output to a timeout. */
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> =>
  waitFor(what, fn, ms).catch((err: Error) => {
    const logs = [...cluster.output].map(([n, o]) => `--- ${n}\n${o.slice(-1500)}`).join("\n");
    throw new Error(`${err.message}\n${logs}`);
  });
/** The certificate a TLS listener presents (its serial), presenting `client`. */
const servedSerial = (ip: string, client: { cert: string; key: string }) =>
  new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: ip, port: 4646, ca, ...client }, () => {
      resolve(s.getPeerX509Certificate()?.serialNumber ?? "");
      s.end();
    });
    s.on("error", reject);
  });
/** The fields of Nomad's bootstrap answer (API docs sample acl-tokens__bootstrap-token__sample-response.json). */
const BOOTSTRAP_TOKEN_KEYS = [
  "AccessorID",
  "SecretID",
  "Name",
  "Type",
  "Policies",
  "Global",
  "CreateTime",
  "CreateIndex",
  "ModifyIndex",
];
const JOB = {
  Job: {
    ID: "acl-probe",
    Name: "acl-probe",
    Type: "service",
    Datacenters: ["dc1"],
    TaskGroups: [
      {
        Name: "probe",
        Count: 1,
        Tasks: [{ Name: "probe", Driver: "exec", Config: { command: "/bin/sleep", args: ["300"] } }],
      },
    ],
  },
};

describe("np's Nomad TLS and ACLs against the Nomad double started from np's renders", () => {
  beforeAll(async () => {
    secrets = (await loadClusterSecrets(inv)).secrets;
    ca = reveal(TLS_SECRET.caCert);
    cluster = new LoopbackNomad(path.join(inv.dir, "hosts"), inv, secrets);
    for (const h of [...S, C]) cluster.start(h);
    dispatcher = nomadDispatcher(ca, leaf(operatorProfile(inv.cluster.name).id));
    const apis = S.map((h) => nomadHttps(h, dispatcher));
    expect(await isNomadManagement(apis, management())).toBe(false);
    expect(await bootstrapNomadAcl(apis, management(), { timeoutMs: 60_000, intervalMs: 300 })).toBe(true);
  }, 90_000);

  afterAll(async () => {
    await as(management())
      .deregister("acl-probe", true)
      .catch(() => undefined);
    await dispatcher?.close();
    cluster?.stop();
  });

  it("bootstraps once with the secret np saved first; a second bootstrap finds it done", async () => {
    const apis = S.map((h) => nomadHttps(h, dispatcher));
    expect(await isNomadManagement(apis, management())).toBe(true);
    // The token np bootstrapped is Nomad's bootstrap token, in the shape of nomad-api's sample response.
    const me = (await as(management()).json.get<Record<string, unknown>>("/v1/acl/token/self")).body;
    expect(Object.keys(me)).toEqual(expect.arrayContaining(BOOTSTRAP_TOKEN_KEYS));
    expect(me).toMatchObject({
      SecretID: management(),
      Name: "Bootstrap Token",
      Type: "management",
      Policies: null,
      Global: true,
    });
    expect(await bootstrapNomadAcl(apis, management(), { timeoutMs: 10_000 })).toBe(false);
    // A second bootstrap by hand: Nomad's 400 text (nomad/acl_endpoint.go Bootstrap).
    const again = await as()
      .json.send("POST", "/v1/acl/bootstrap", {})
      .catch((e) => e);
    expect(again).toMatchObject({
      status: 400,
      body: expect.stringMatching(/^ACL bootstrap already done \(reset index: \d+\)$/),
    });
    // Bootstrapped with another secret (not np's): refused at once, with the reset hint.
    const other = "0b0f5d36-5bd2-4c6a-9d3c-d1a0a3fb0e5d";
    await expect(bootstrapNomadAcl(apis, other, { timeoutMs: 10_000 })).rejects.toBeInstanceOf(
      NomadAclAlreadyBootstrapped,
    );
  });

  it("serves HTTPS only, to callers with a certificate of the cluster CA", async () => {
    const plain = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      http
        .get({ host: s1.privateAddress, port: 4646, path: "/v1/status/leader", agent: false }, (res) => {
          let text = "";
          res.on("data", (d) => {
            text += d;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        })
        .on("error", reject);
    });
    expect(plain).toEqual({ status: 400, text: "Client sent an HTTP request to an HTTPS server.\n" });
    const noCert = nomadDispatcher(ca);
    await expect(nomadHttps(s1, noCert).leader()).rejects.toThrow();
    await noCert.close();
    // A client certificate of another CA (same names as np's operator certificate) is refused in the handshake.
    const otherCa = await createCa("another CA", 30);
    const stranger = await issueLeaf(otherCa, operatorProfile(inv.cluster.name));
    const wrongCert = nomadDispatcher(ca, { cert: stranger.certPem, key: stranger.keyPem });
    await expect(nomadHttps(s1, wrongCert, management()).jobs()).rejects.toThrow();
    await wrongCert.close();
    // With np's operator certificate the leader is read (no ACL on /v1/status/leader).
    expect(await as().leader()).toMatch(/^127\.0\.0\.7[1-3]:4647$/);
  });

  it("creates np's policies and tokens once; a second pass changes nothing", async () => {
    expect(await converge()).toEqual([
      "create policy np-apps",
      "create policy np-agent",
      "create token np: app commands",
      "create token np: np-agent on c1",
    ]);
    expect(await converge()).toEqual([]);
    const self = await new NomadAclApi(as()).self(reveal(NOMAD_TOKEN.apps));
    expect(self).toMatchObject({ Name: "np: app commands", Type: "client", Policies: ["np-apps"] });
  });

  it("puts back a policy and a token changed by hand, and replaces a deleted token", async () => {
    const mgmt = as(management());
    await mgmt.json
      .send("POST", "/v1/acl/policy/np-apps", {
        Name: "np-apps",
        Description: "widened by hand",
        Rules: 'namespace "*" { policy = "write" }',
      })
      .catch((e) => {
        if (!(e instanceof ApiError && e.status === 200)) throw e;
      });
    const agentSecret = reveal(NOMAD_TOKEN.npAgent("c1"));
    const agentToken = await new NomadAclApi(mgmt).self(agentSecret);
    await mgmt.json.send("POST", `/v1/acl/token/${agentToken?.AccessorID}`, {
      AccessorID: agentToken?.AccessorID,
      Name: "np: np-agent on c1",
      Type: "client",
      Policies: ["np-apps"],
    });
    expect(await converge()).toEqual(["update policy np-apps", "update token np: np-agent on c1"]);
    // Updated in place: Nomad kept the SecretID, so np-agent's config does not change.
    expect(reveal(NOMAD_TOKEN.npAgent("c1"))).toBe(agentSecret);
    const apps = await new NomadAclApi(mgmt).self(reveal(NOMAD_TOKEN.apps));
    await mgmt.json.send("DELETE", `/v1/acl/token/${apps?.AccessorID}`).catch(() => undefined);
    const before = reveal(NOMAD_TOKEN.apps);
    expect(await converge()).toEqual(["create token np: app commands"]);
    expect(reveal(NOMAD_TOKEN.apps)).not.toBe(before);
    expect(await converge()).toEqual([]);
  });

  it("denies an anonymous or unknown token; the app token may run apps but not read the operator's endpoints", async () => {
    for (const token of [undefined, "7c4e2b8a-1d3f-4e5a-9b6c-0d1e2f3a4b5c"]) {
      const err = await as(token)
        .jobs()
        .catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 403, body: "Permission denied" });
    }
    const apps = as(reveal(NOMAD_TOKEN.apps));
    expect(await apps.jobs()).toEqual([]);
    expect((await apps.nodes()).map((n) => n.Name)).toEqual(["c1"]);
    const plan = await apps.plan("acl-probe", { Job: JOB.Job, Diff: true });
    expect(plan.Diff?.Type).toBe("Added");
    const reg = await apps.register(JOB);
    expect(reg.EvalID).toMatch(/^[0-9a-f-]{36}$/);
    expect((await apps.job("acl-probe")).body?.ID).toBe("acl-probe");
    await expect(apps.autopilotHealth()).rejects.toMatchObject({ status: 403 });
    await expect(apps.raftConfiguration()).rejects.toMatchObject({ status: 403 });
    // Nor the ACL endpoints: no listing of tokens, no token or policy with more rights.
    for (const [method, url, body] of [
      ["GET", "/v1/acl/tokens", undefined],
      ["POST", "/v1/acl/token", { Name: "escalate", Type: "management" }],
      ["POST", "/v1/acl/policy/np-apps", { Name: "np-apps", Rules: 'namespace "*" { policy = "write" }' }],
    ] as const) {
      const denied = await (method === "GET" ? apps.json.get(url) : apps.json.send(method, url, body)).catch(
        (e) => e,
      );
      expect(denied, `${method} ${url}`).toMatchObject({ status: 403, body: "Permission denied" });
    }
    // nomad/acl_endpoint.go ListPolicies: a client token lists only its own policies.
    const own = await apps.json.get<{ Name: string }[]>("/v1/acl/policies");
    expect(own.body.map((p) => p.Name)).toEqual(["np-apps"]);
    // Its jobs are in the default namespace only: another namespace's job list is refused.
    await expect(apps.json.get("/v1/jobs?namespace=other")).rejects.toMatchObject({ status: 403 });
    // Management reads the quorum as np up and np status do.
    const q = await until("a healthy quorum", async () => {
      const r = await readQuorum("nomad", as(management()));
      return r.healthy && r.voters === 3 ? r : undefined;
    });
    expect(q.failureTolerance).toBe(1);
    expect((await as(management()).raftConfiguration()).Servers).toHaveLength(3);
  });

  it("np-agent reads its node's allocations over HTTPS with its own certificate and token, and no more", async () => {
    const client = cluster.procs.get("c1") && C;
    const nodeId = await until("c1 registered", async () => {
      const nodes = await as(reveal(NOMAD_TOKEN.apps)).nodes();
      return nodes.find((n) => n.Name === client?.name)?.ID;
    });
    const agentTls = { ca, ...leaf(npAgentClientProfile(C).id) };
    const address = `https://${C.privateAddress}:4646`;
    const token = reveal(NOMAD_TOKEN.npAgent("c1"));
    const allocs = await until("the probe's allocation on c1", async () => {
      const a = await fetchNodeAllocations(address, token, nodeId, agentTls);
      return a.some((x) => x.jobId === "acl-probe") ? a : undefined;
    });
    expect(allocs[0]).toMatchObject({ jobId: "acl-probe", taskGroup: "probe" });
    await expect(fetchNodeAllocations(address, null, nodeId, agentTls)).rejects.toThrow(/HTTP 403/);
    // Its token reads; it does not write (no submit-job) nor read the operator's endpoints.
    const agent = nomadHttps(C, dispatcher, token);
    await expect(agent.register(JOB)).rejects.toMatchObject({ status: 403 });
    await expect(agent.autopilotHealth()).rejects.toMatchObject({ status: 403 });
    // Its certificate is a client certificate only: Nomad's RPC port, which wants a Nomad role name, refuses it.
    const rpc = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: s1.privateAddress, port: 4647, ...agentTls }, () => {
        s.write("POST /np-double/v1/rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
      });
      s.on("data", () => resolve("answered"));
      s.on("close", () => resolve("closed"));
      s.on("error", () => resolve("closed"));
    });
    expect(rpc).toBe("closed");
  });

  it("re-reads its certificate on SIGHUP (a renewal needs no restart)", async () => {
    const op = leaf(operatorProfile(inv.cluster.name).id);
    const before = await servedSerial(s1.privateAddress, op);
    const store = new PkiStore(stateDir);
    const renewed = await issueLeaf(await store.ca(inv.cluster.name), nomadAgentCertProfile(inv, s1));
    writeFileSync(path.join(cluster.tlsDir(s1), "agent.pem"), renewed.certPem);
    writeFileSync(path.join(cluster.tlsDir(s1), "agent-key.pem"), renewed.keyPem);
    cluster.procs.get("s1")?.kill("SIGHUP");
    const after = await until("the renewed certificate served", async () => {
      const serial = await servedSerial(s1.privateAddress, op);
      return serial !== before ? serial : undefined;
    });
    expect(after).toBe(new X509Certificate(renewed.certPem).serialNumber);
    expect(cluster.procs.get("s1")?.exitCode).toBeNull();
    expect(await as().leader()).toMatch(/^127\.0\.0\.7[1-3]:4647$/);
  });
});

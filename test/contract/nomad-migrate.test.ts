// Contract test of Nomad's half of np's migration to TLS and ACLs against np's Nomad double (NOT Nomad): 3 servers
// and a client on loopback started from np's render of an earlier np's Nomad (stage "plain": no tls block, ACLs
// off), moved through every stage with np's renders as np up moves them (servers one at a time, the leader last,
// each back in a healthy quorum before the next; then the client), np's ACL bootstrap asked from the start of the
// ACL step. The quorum is sampled every 200 ms throughout. What Nomad's source says is checked on the way:
// rpc_upgrade_mode lets plain RPC in beside TLS (nomad/rpc.go handleConn), plain RPC is refused once it is off,
// ACL.Bootstrap answers "ACL support disabled" until a leader has ACLs on (nomad/acl_endpoint.go).
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../src/api/http.js";
import { NomadApi } from "../../src/api/nomad.js";
import { loadClusterSecrets } from "../../src/cluster/cluster-secrets.js";
import { bootstrapNomadAcl, isNomadManagement } from "../../src/cluster/nomad-acl-bootstrap.js";
import { type QuorumHealth, readQuorum, serverAt } from "../../src/cluster/quorum.js";
import { NOMAD_MANAGEMENT } from "../../src/components/nomad/index.js";
import { NOMAD_STAGES, type NomadStage, nomadSecurityAt } from "../../src/components/nomad/migrate-stages.js";
import type { HostSpec } from "../../src/inventory/index.js";
import { operatorProfile } from "../../src/pki/index.js";
import { TLS_SECRET } from "../../src/pki/values.js";
import type { SecretValues } from "../../src/secrets/index.js";
import { until as waitFor } from "../helpers/consul-tls-cluster.js";
import { LoopbackNomad, nomadDispatcher, nomadHttps } from "../helpers/nomad-tls-cluster.js";
import { host, inventory } from "../unit/render-fixtures.js";

const at = (name: string, octet: number, roles: Parameters<typeof host>[2]) =>
  host(name, octet, roles, { privateAddress: `127.0.0.${octet}` });
const S = [at("s1", 91, ["server"]), at("s2", 92, ["server"]), at("s3", 93, ["server"])];
const C = at("c1", 94, ["client"]);
const inv = { ...inventory([...S, C]), dir: mkdtempSync(path.join(os.tmpdir(), "np-nomad-mig-")) };

const stage = new Map<string, NomadStage>([...S, C].map((h) => [h.name, "plain"]));
let cluster: LoopbackNomad;
let secrets: SecretValues;
let dispatcher: Agent;
const plainAgent = new Agent();
const management = () => secrets.get(NOMAD_MANAGEMENT.name).reveal();
/** A host's Nomad API as np reaches it at its stage: plain HTTP without a token before TLS, else HTTPS and np's. */
const api = (h: HostSpec) =>
  stage.get(h.name) === "plain"
    ? new NomadApi(`http://${h.privateAddress}:4646`, plainAgent)
    : nomadHttps(h, dispatcher, management);
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000): Promise<T> =>
  waitFor(what, fn, ms).catch((err: Error) => {
    const logs = [...cluster.output].map(([n, o]) => `--- ${n}\n${o.slice(-1500)}`).join("\n");
    throw new Error(`${err.message}\n${logs}`);
  });

/** The quorum through the first server that answers (`last` asked last). */
async function reading(last?: HostSpec): Promise<QuorumHealth> {
  let err: unknown = new Error("no server");
  for (const h of last ? [...S.filter((s) => s !== last), last] : S) {
    try {
      return await readQuorum("nomad", api(h));
    } catch (e) {
      err = e;
    }
  }
  throw err;
}

/** Quorum readings every 200 ms: those with fewer than 2 healthy voters, and the longest run without a judgement. */
class Sampler {
  readonly lost: string[] = [];
  reads = 0;
  maxUnsettledMs = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  start(label: () => string): void {
    this.loop = (async () => {
      let since: number | undefined;
      while (!this.stopped) {
        try {
          const q = await reading();
          this.reads++;
          // An election, or a new leader before its first health round, is not judged (Consul's sampler does so).
          if (q.leader === "" || !q.servers.find((s) => s.leader)?.healthy) throw new Error("unsettled");
          const healthy = q.servers.filter((s) => s.voter && s.healthy).length;
          if (healthy < 2) this.lost.push(`${label()}: ${healthy} healthy voters`);
          if (since !== undefined) this.maxUnsettledMs = Math.max(this.maxUnsettledMs, Date.now() - since);
          since = undefined;
        } catch {
          since ??= Date.now();
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** Stops a host's agent as systemd does (SIGINT, KillSignal of nomad.service). */
async function stopAgent(h: HostSpec): Promise<void> {
  const p = cluster.procs.get(h.name);
  if (!p || p.exitCode !== null) return;
  p.kill("SIGINT");
  await once(p, "exit");
}

/** np's server move: stopped, seen down by a leader, started with the stage's files, back healthy. */
async function moveServer(h: HostSpec, to: NomadStage): Promise<void> {
  const ip = h.privateAddress;
  await stopAgent(h);
  await until(`${h.name} seen down`, async () => {
    const q = await reading(h);
    const me = serverAt(q, ip);
    return q.leader !== "" && (me ? !me.healthy : q.servers.length > 0) ? q : undefined;
  });
  stage.set(h.name, to);
  cluster.start(h);
  await until(`${h.name} back in a healthy quorum at ${to}`, async () => {
    const q = await reading(h);
    const me = serverAt(q, ip);
    return q.leader !== "" && me?.voter && me.healthy && q.servers.every((s) => s.healthy) ? q : undefined;
  });
}

/** Followers first, the leader last (one election per step). */
async function leaderLast(): Promise<HostSpec[]> {
  const q = await until("a leader", async () => {
    const r = await reading();
    return r.leader !== "" ? r : undefined;
  });
  return [...S].sort(
    (a, b) =>
      Number(q.leader.startsWith(`${a.privateAddress}:`)) -
      Number(q.leader.startsWith(`${b.privateAddress}:`)),
  );
}

/** The client's move: restarted with the stage's files, then a ready node again. */
async function moveClient(to: NomadStage): Promise<void> {
  if (
    JSON.stringify(nomadSecurityAt(stage.get(C.name) ?? "plain", false)) ===
    JSON.stringify(nomadSecurityAt(to, false))
  ) {
    stage.set(C.name, to);
    return;
  }
  await stopAgent(C);
  stage.set(C.name, to);
  cluster.start(C);
  await until(`${C.name} ready at ${to}`, async () => {
    for (const s of S) {
      const nodes = await api(s)
        .nodes()
        .catch(() => undefined);
      if (nodes) return nodes.find((n) => n.Name === C.name && n.Status === "ready");
    }
    return undefined;
  });
}

/** A plain connection to a server's RPC port: "answered" when an HTTP answer comes back (the double's RPC is HTTP). */
const plainRpc = (h: HostSpec) =>
  new Promise<string>((resolve) => {
    const req = http.request(
      { host: h.privateAddress, port: 4647, method: "POST", path: "/np-double/v1/rpc", agent: false },
      (res) => {
        res.resume();
        resolve("answered");
      },
    );
    req.on("error", () => resolve("refused"));
    req.setTimeout(3000, () => req.destroy());
    req.end("{}");
  });

describe("Nomad's migration to TLS and ACLs, against np's Nomad double (not Nomad)", {
  timeout: 600_000,
}, () => {
  beforeAll(async () => {
    secrets = (await loadClusterSecrets(inv)).secrets;
    const operator = operatorProfile(inv.cluster.name).id;
    dispatcher = nomadDispatcher(secrets.get(TLS_SECRET.caCert).reveal(), {
      cert: secrets.get(TLS_SECRET.cert(operator)).reveal(),
      key: secrets.get(TLS_SECRET.key(operator)).reveal(),
    });
    cluster = new LoopbackNomad(path.join(inv.dir, "hosts"), inv, secrets, (h) => ({
      consul: "secure",
      nomad: stage.get(h.name) ?? "secure",
    }));
    for (const h of [...S, C]) cluster.start(h);
    await until("a plain cluster with its client", async () => {
      const q = await reading();
      const nodes = await api(S[0] as HostSpec).nodes();
      return q.leader !== "" &&
        q.servers.filter((s) => s.healthy).length === 3 &&
        nodes.some((n) => n.Status === "ready")
        ? q
        : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await dispatcher?.close();
    await plainAgent.close();
    cluster?.stop();
  });

  it("every stage, servers one at a time (the leader last) then the client: a majority always healthy", async () => {
    let step = "plain";
    const sampler = new Sampler();
    sampler.start(() => step);
    expect(await plainRpc(S[0] as HostSpec)).toBe("answered");
    for (const to of NOMAD_STAGES.slice(1)) {
      step = to;
      // ACL.Bootstrap answers "ACL support disabled" until a leader has ACLs on; np asks from the step's start.
      let bootstrapped: Promise<boolean> | undefined;
      if (to === "secure") {
        const early = await nomadHttps(S[0] as HostSpec, dispatcher)
          .json.send("POST", "/v1/acl/bootstrap", { BootstrapSecret: management() })
          .catch((e: unknown) => e);
        expect(early).toBeInstanceOf(ApiError);
        expect(early).toMatchObject({ status: 400, body: "ACL support disabled" });
        bootstrapped = bootstrapNomadAcl(
          S.map((h) => nomadHttps(h, dispatcher)),
          management(),
          { timeoutMs: 300_000, intervalMs: 300 },
        );
        bootstrapped.catch(() => {});
      }
      for (const h of await leaderLast()) {
        await moveServer(h, to);
        if (to === "tls-upgrade" && h !== S.at(-1))
          // Moved with rpc_upgrade_mode: servers not moved yet still reach it in plain.
          expect(await plainRpc(h), h.name).toBe("answered");
      }
      if (bootstrapped) expect(await bootstrapped).toBe(true);
      await moveClient(to);
    }
    step = "done";
    await new Promise((r) => setTimeout(r, 2000));
    await sampler.stop();
    console.log(
      `nomad-migrate: ${sampler.reads} quorum readings, longest without a judgement ${sampler.maxUnsettledMs} ms`,
    );
    expect(sampler.lost).toEqual([]);
    expect(sampler.reads).toBeGreaterThan(50);
    expect(sampler.maxUnsettledMs).toBeLessThan(30_000);
  });

  it("afterwards: plain RPC and plain HTTP refused, no token 403, np's management token known", async () => {
    for (const h of S) expect(await plainRpc(h), h.name).toBe("refused");
    const plainApi = await fetch(`http://${S[0]?.privateAddress}:4646/v1/status/leader`)
      .then((r) => r.text())
      .catch((e: Error) => e.message);
    expect(plainApi).toContain("Client sent an HTTP request to an HTTPS server");
    const tokenless = await nomadHttps(S[1] as HostSpec, dispatcher)
      .json.get("/v1/jobs")
      .catch((e: unknown) => e);
    expect(tokenless).toMatchObject({ status: 403, body: "Permission denied" });
    expect(
      await isNomadManagement(
        S.map((h) => nomadHttps(h, dispatcher)),
        management(),
      ),
    ).toBe(true);
    const client = await until("the client a ready node", async () =>
      (await api(S[0] as HostSpec).nodes()).find((n) => n.Name === C.name && n.Status === "ready"),
    );
    expect(client.Name).toBe("c1");
  });
});

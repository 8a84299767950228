// A real 3-server Consul 1.8.7 (plus two client agents) on loopback, started from np's gossip-only renders (an
// earlier np's cluster), migrated stage by stage to TLS and ACLs as np's migration does it: at each stage the
// servers restart one at a time, each back in a healthy quorum before the next, then the clients one at a time,
// each with its checks passing again; the ACLs are bootstrapped and np's tokens made by np's own code once every
// server allows ACLs. A loop reads the app's passing instances every 100 ms as an edge does (Traefik's token
// once it exists) and the quorum every 200 ms: no read may find the app gone, and a majority must stay healthy.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { connect as netConnect } from "node:net";
import os from "node:os";
import path from "node:path";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsulApi } from "../../src/api/consul.js";
import { ConsulAclApi } from "../../src/api/consul-acl.js";
import { loadClusterSecrets } from "../../src/cluster/cluster-secrets.js";
import { aclActions, readAcl } from "../../src/cluster/consul-acl.js";
import { bootstrapAcl } from "../../src/cluster/consul-bootstrap.js";
import { CONSUL_SETTINGS_SCRIPT, parseConsulSettings } from "../../src/cluster/migrate/consul-settings.js";
import { hostOf, type QuorumHealth, readQuorum } from "../../src/cluster/quorum.js";
import { CONSUL_TOKEN, consulAcl } from "../../src/components/consul/index.js";
import {
  CONSUL_STAGES,
  type ConsulStage,
  consulStageOf,
} from "../../src/components/consul/migrate-stages.js";
import type { HostSpec } from "../../src/inventory/index.js";
import type { SecretValues } from "../../src/secrets/index.js";
import { consulMissing } from "../helpers/consul-binary.js";
import { call, httpsApi, LoopbackConsul, tlsDispatcher, until } from "../helpers/consul-tls-cluster.js";
import { QuorumSampler } from "../helpers/quorum-sampler.js";
import { host, inventory } from "../unit/render-fixtures.js";

// Loopback addresses of this file's own (consul-tls-acl.test.ts uses .61-.64).
const at = (name: string, octet: number, roles: Parameters<typeof host>[2]) =>
  host(name, octet, roles, { privateAddress: `127.0.0.${octet}` });
const S = [at("s1", 81, ["server"]), at("s2", 82, ["server"]), at("s3", 83, ["server"])];
const C = [at("c1", 84, ["client", "edge"]), at("c2", 85, ["client"])];
const ALL = [...S, ...C];
const inv = { ...inventory(ALL), dir: mkdtempSync(path.join(os.tmpdir(), "np-consul-migrate-")) };
const APP = "web";

let cluster: LoopbackConsul;
let secrets: SecretValues;
let app: http.Server;
let management: string | undefined;
/** Traefik's token, once np made it (before that an edge reads anonymously, which ACLs still allow). */
let edgeToken: string | undefined;
const stage = new Map<string, ConsulStage>();

/** What the app loop saw. */
const seen = { appReads: 0, appGone: [] as string[], appErrors: [] as string[] };
/** The step under way, named in what the loops report. */
let step = "start";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isServerHost = (h: HostSpec) => S.includes(h);

const plain = new Agent();
/** A server's plain HTTP API (it stays on at every stage, as on a host's loopback), with np's token once made. */
const plainApi = (h: HostSpec) => new ConsulApi(`http://${h.privateAddress}:8500`, plain, () => management);

/** The quorum through the first server that answers. */
async function quorum(): Promise<QuorumHealth> {
  let last: unknown;
  for (const h of S) {
    try {
      return await readQuorum("consul", plainApi(h));
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/**
 * Restarts one agent with the files of `to` and waits for its return, as np's migration does: a server is seen
 * down by the leader before it starts again, then must be a healthy voter whose health changed after that; a
 * client's app check must pass again.
 */
async function restart(h: HostSpec, to: ConsulStage): Promise<void> {
  step = `${h.name} to ${to}`;
  await cluster.stopOne(h);
  let downAt = Date.now();
  if (isServerHost(h)) {
    const down = await until(`${h.name} seen down`, async () => {
      const me = (await quorum()).servers.find((s) => s.name === h.name);
      return me && !me.healthy ? me : undefined;
    });
    downAt = down.stableSince;
  }
  stage.set(h.name, to);
  cluster.start(h, false, { consul: to });
  if (isServerHost(h)) {
    await until(
      `${h.name} back in a healthy quorum at ${to}`,
      async () => {
        const q = await quorum();
        const me = q.servers.find((s) => s.name === h.name);
        const back = me?.healthy && me.voter && !(me.stableSince <= downAt);
        return q.leader && q.voters === 3 && q.servers.every((s) => s.healthy) && back ? q : undefined;
      },
      120_000,
    );
    // From tls-accept on the server also serves HTTPS with its certificate of np's CA (np's tunnels use it).
    const https = httpsApi(h, tlsDispatcher(secrets.get("tls-ca-cert").reveal()), () => management);
    await until(`${h.name}'s HTTPS`, async () => ((await https.leader()) ? true : undefined));
    return;
  }
  const token =
    to === "acl-allow" || to === "secure" ? secrets.get(CONSUL_TOKEN.agent(h.name)).reveal() : undefined;
  // As np does: passing on the agent, and in the catalog (what the edges read) before the next agent restarts.
  await until(
    `${h.name}'s app check passing again at ${to}, on the agent and in the catalog`,
    async () => {
      const checks = JSON.parse((await call(h, "GET", "/v1/agent/checks", token)).text) as Record<
        string,
        { Status: string }
      >;
      const r = await call(h, "GET", `/v1/health/node/${h.name}`, token);
      const synced = JSON.parse(r.text) as { CheckID: string; Status: string }[];
      const id = `app-${h.name}`;
      return checks[id]?.Status === "passing" && synced.find((c) => c.CheckID === id)?.Status === "passing"
        ? true
        : undefined;
    },
    60_000,
  );
}

/** The servers, the leader last (as np restarts them): one election per step. */
async function leaderLast(): Promise<HostSpec[]> {
  const leader = hostOf(await until("a leader", async () => (await quorum()).leader || undefined));
  return S.toSorted((a, b) => Number(a.privateAddress === leader) - Number(b.privateAddress === leader));
}

/** The management token and np's policies and tokens, by np's code, once every server allows ACLs. */
async function bootstrapAndTokens(): Promise<void> {
  const dispatcher = tlsDispatcher(secrets.get("tls-ca-cert").reveal());
  management = await bootstrapAcl(
    S.map((h) => httpsApi(h, dispatcher, () => undefined)),
    { timeoutMs: 90_000 },
  );
  const acl = new ConsulAclApi(httpsApi(S[0] as HostSpec, dispatcher, () => management).json);
  const desired = consulAcl(inv);
  const actions = aclActions(
    desired,
    await readAcl(
      acl,
      desired.policies.map((p) => p.name),
    ),
    secrets,
  );
  for (const a of actions) await a.apply(acl);
  edgeToken = secrets.get(CONSUL_TOKEN.traefik).reveal();
}

/** Every 100 ms: the app's passing instances, read through a server as an edge's agent would ask for them. */
function appLoop(signal: AbortSignal): Promise<void> {
  return (async () => {
    while (!signal.aborted) {
      for (const h of S) {
        try {
          const r = await call(h, "GET", `/v1/health/service/${APP}?passing=1`, edgeToken);
          // An error (an election; "ACL not found" while a server's ACLs start): an edge keeps its last routes.
          // Only an answer without a passing instance takes the app off the edges.
          if (r.status !== 200) {
            seen.appErrors.push(`${step}: via ${h.name}: ${r.status} ${r.text.slice(0, 60)}`);
            continue;
          }
          seen.appReads++;
          const n = (JSON.parse(r.text) as unknown[]).length;
          if (n === 0) {
            // Why: every instance's checks as the same server sees them.
            const all = await call(h, "GET", `/v1/health/service/${APP}`, edgeToken);
            const why =
              all.status === 200
                ? (
                    JSON.parse(all.text) as {
                      Node: { Node: string };
                      Checks: { CheckID: string; Status: string }[];
                    }[]
                  )
                    .map(
                      (e) => `${e.Node.Node}: ${e.Checks.map((c) => `${c.CheckID}=${c.Status}`).join(" ")}`,
                    )
                    .join("; ")
                : `${all.status} ${all.text.slice(0, 80)}`;
            seen.appGone.push(`${step}: ${new Date().toISOString()} via ${h.name}: ${r.status}; ${why}`);
          }
          break;
        } catch {}
      }
      await sleep(100);
    }
  })();
}

/** The stage np reads back from the agent's rendered consul.hcl, with the settings script np runs on hosts. */
function stageOnDisk(h: HostSpec): ConsulStage | null {
  const file = path.join(inv.dir, "hosts", h.name, "conf", "consul.hcl");
  const out = execFileSync("sh", ["-c", CONSUL_SETTINGS_SCRIPT, "sh", file], { encoding: "utf8" });
  return consulStageOf(parseConsulSettings(out), isServerHost(h));
}

describe.skipIf(consulMissing())(
  "a real Consul 1.8.7 cluster migrated from gossip only to TLS and ACLs, one agent at a time",
  () => {
    const stop = new AbortController();
    let loop: Promise<void> | undefined;
    // Every 200 ms: a majority of the 3 servers must be healthy voters whenever the quorum is read.
    const sampler = new QuorumSampler(quorum, () => step, 2, 200);

    beforeAll(async () => {
      secrets = (await loadClusterSecrets(inv)).secrets;
      cluster = new LoopbackConsul(path.join(inv.dir, "hosts"), inv, secrets);
      app = http.createServer((_req, res) => res.end("ok")).listen(0, "127.0.0.1");
      await new Promise((r) => app.once("listening", r));
      const port = (app.address() as { port: number }).port;
      for (const h of ALL) {
        stage.set(h.name, "gossip");
        cluster.start(h, false, { consul: "gossip" });
      }
      await until(
        "a gossip-only quorum of 3",
        async () => {
          const q = await quorum();
          return q.leader && q.voters === 3 && q.healthy ? q : undefined;
        },
        90_000,
      );
      // The app: one instance on each client, registered like Nomad does (agent API, an HTTP check), no token.
      for (const h of C) {
        const service = {
          ID: `${APP}-${h.name}`,
          Name: APP,
          Port: port,
          Check: { CheckID: `app-${h.name}`, HTTP: `http://127.0.0.1:${port}/`, Interval: "1s" },
        };
        await until(`${h.name} registers the app`, async () =>
          (await call(h, "PUT", "/v1/agent/service/register", undefined, service)).status === 200
            ? true
            : undefined,
        );
      }
      await until("both instances passing", async () => {
        const r = await call(S[0] as HostSpec, "GET", `/v1/health/service/${APP}?passing=1`);
        return (JSON.parse(r.text) as unknown[]).length === 2 ? true : undefined;
      });
      loop = appLoop(stop.signal);
      sampler.start();
    }, 180_000);

    afterAll(async () => {
      stop.abort();
      await loop;
      await sampler.stop();
      app?.close();
      cluster?.stop();
      await plain.close();
      rmSync(inv.dir, { recursive: true, force: true });
    });

    it("every stage: servers one at a time, then clients; the app never leaves, a majority stays healthy", async () => {
      for (const to of CONSUL_STAGES.slice(1)) {
        for (const h of await leaderLast()) await restart(h, to);
        if (to === "acl-allow") {
          step = "bootstrap and tokens";
          await bootstrapAndTokens();
          step = "after tokens";
        }
        // A client's file does not change when the servers only accept TLS: np leaves it running.
        if (to !== "tls-accept") for (const h of C) await restart(h, to);
        for (const h of ALL)
          expect(stageOnDisk(h), `${h.name} at ${to}`).toBe(
            to === "tls-accept" && !isServerHost(h) ? "tls-accept" : to,
          );
      }
      expect(seen.appGone).toEqual([]);
      await sampler.stop();
      if (sampler.briefDips.length)
        console.log(`consul-migrate: brief dips below a majority: ${sampler.briefDips.join("; ")}`);
      expect(sampler.noMajority).toEqual([]);
      expect(seen.appReads).toBeGreaterThan(200);
      expect(sampler.reads).toBeGreaterThan(100);
      // Each server step ends with the leader's restart (no leave: leave_on_terminate is off), hence one election
      // per step. Consul's default timing (raft_multiplier 5) gives followers 5 s of silence before they elect,
      // elections take 5-10 s more, then the new leader's first health round: well under 30 s, even loaded.
      expect(sampler.maxUnsettledMs, sampler.longUnsettled.join("; ")).toBeLessThan(30_000);
    }, 900_000);

    it("afterwards anonymous reads are denied and RPC requires a certificate of the cluster CA", async () => {
      const c1 = C[0] as HostSpec;
      expect(JSON.parse((await call(c1, "GET", "/v1/catalog/nodes")).text)).toEqual([]);
      expect(JSON.parse((await call(c1, "GET", `/v1/health/service/${APP}`)).text)).toEqual([]);
      expect((await call(c1, "PUT", "/v1/kv/x", undefined, "y")).status).toBe(403);
      // With np's tokens the same reads see everything: the assertions above can fail.
      expect(JSON.parse((await call(c1, "GET", "/v1/catalog/nodes", management)).text)).toHaveLength(5);
      expect(JSON.parse((await call(c1, "GET", `/v1/health/service/${APP}`, edgeToken)).text)).toHaveLength(
        2,
      );
      const plain = await new Promise<string>((resolve) => {
        const s = netConnect(8300, (S[0] as HostSpec).privateAddress, () =>
          s.write(Buffer.from([0x01, 0x80])),
        );
        s.on("close", () => resolve("closed"));
        s.on("error", () => resolve("closed"));
        setTimeout(() => resolve("still open"), 5000);
      });
      expect(plain).toBe("closed");
      // The last stage's files are a fresh cluster's.
      for (const h of ALL) {
        const file = path.join(inv.dir, "hosts", h.name, "conf", "consul.hcl");
        const migrated = readFileSync(file, "utf8");
        cluster.write(h);
        expect(readFileSync(file, "utf8"), h.name).toBe(migrated);
      }
    });
  },
);

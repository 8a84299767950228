import { mkdtempSync, readFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import os from "node:os";
import path from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AclAlreadyBootstrapped, ConsulAclApi } from "../../src/api/consul-acl.js";
import { loadClusterSecrets } from "../../src/cluster/cluster-secrets.js";
import { aclActions, readAcl } from "../../src/cluster/consul-acl.js";
import { bootstrapAcl } from "../../src/cluster/consul-bootstrap.js";
import { PolicyCache } from "../../src/cluster/policy-cache.js";
import { CONSUL_TOKEN, consulAcl, MANAGEMENT_TOKEN } from "../../src/components/consul/index.js";
import type { SecretValues } from "../../src/secrets/index.js";
import { SecretStore } from "../../src/secrets/index.js";
import { consulMissing } from "../helpers/consul-binary.js";
import { call, httpsApi, LoopbackConsul, tlsDispatcher, until } from "../helpers/consul-tls-cluster.js";
import { host, inventory } from "../unit/render-fixtures.js";

const at = (name: string, octet: number, roles: Parameters<typeof host>[2]) =>
  host(name, octet, roles, { privateAddress: `127.0.0.${octet}` });
const S = [at("s1", 61, ["server"]), at("s2", 62, ["server"]), at("s3", 63, ["server"])];
const C = at("c1", 64, ["client", "edge", "observe"]);
const inv = { ...inventory([...S, C]), dir: mkdtempSync(path.join(os.tmpdir(), "np-consul-acl-")) };

let cluster: LoopbackConsul;
let secrets: SecretValues;
let management = "";
let dispatcher: ReturnType<typeof tlsDispatcher>;
const token = (name: string) => secrets.get(name).reveal();
const s1 = S[0] as (typeof S)[number];

describe.skipIf(consulMissing())(
  "a real 3-server Consul 1.8.7 with np's TLS and ACLs, bootstrapped by np",
  () => {
    beforeAll(async () => {
      secrets = (await loadClusterSecrets(inv)).secrets;
      cluster = new LoopbackConsul(path.join(inv.dir, "hosts"), inv, secrets);
      for (const h of [...S, C]) cluster.start(h);
      dispatcher = tlsDispatcher(secrets.get("tls-ca-cert").reveal());
      const apis = S.map((h) => httpsApi(h, dispatcher, () => undefined));
      management = await bootstrapAcl(apis, { timeoutMs: 90_000 });
      await new SecretStore(path.join(inv.dir, ".np")).save(MANAGEMENT_TOKEN, management);
      const acl = new ConsulAclApi(httpsApi(s1, dispatcher, () => management).json);
      const desired = consulAcl(inv);
      for (const a of aclActions(
        desired,
        await readAcl(
          acl,
          desired.policies.map((p) => p.name),
        ),
        secrets,
      ))
        await a.apply(acl);
    }, 120_000);

    afterAll(async () => {
      await dispatcher?.close();
      cluster?.stop();
    });

    it("the HTTPS API answers with a certificate of np's CA naming the server; np's token reads the quorum", async () => {
      const api = httpsApi(s1, dispatcher, () => management);
      const health = await until("a healthy quorum", async () => {
        const h = await api.autopilotHealth();
        return h.Healthy && h.FailureTolerance === 1 ? h : undefined;
      });
      expect(health.Servers?.map((s) => s.Name).sort()).toEqual(["s1", "s2", "s3"]);
      // Without np's CA, the certificate is not trusted.
      await expect(
        httpsApi(
          s1,
          tlsDispatcher(readFileSync(path.join(inv.dir, ".np/secrets/consul-server-s1.crt"), "utf8")),
          () => management,
        ).leader(),
      ).rejects.toThrow();
    });

    it("a second bootstrap is refused with Consul's 403, understood as 'bootstrapped already'", async () => {
      const err = await new ConsulAclApi(httpsApi(s1, dispatcher, () => undefined).json)
        .bootstrap()
        .catch((e) => e);
      expect(err).toBeInstanceOf(AclAlreadyBootstrapped);
      expect((err as AclAlreadyBootstrapped).resetIndex).toMatch(/^\d+$/);
      expect((err as Error).message).toMatch(/bootstrapped already \(reset index \d+\)/);
    });

    it("np's ACL actions are idempotent: a second pass finds nothing to change", async () => {
      const acl = new ConsulAclApi(httpsApi(s1, dispatcher, () => management).json);
      const desired = consulAcl(inv);
      expect(
        aclActions(
          desired,
          await readAcl(
            acl,
            desired.policies.map((p) => p.name),
          ),
          secrets,
        ),
      ).toEqual([]);
    });

    it("np's policy cache: a later run reads only Consul's list, until a policy's ModifyIndex moves", async () => {
      const acl = new ConsulAclApi(httpsApi(s1, dispatcher, () => management).json);
      const desired = consulAcl(inv);
      const names = desired.policies.map((p) => p.name);
      let reads = 0;
      // The same API, counting the policies it reads in full.
      const counting = new Proxy(acl, {
        get(target, key) {
          if (key === "policy")
            return (id: string) => {
              reads++;
              return target.policy(id);
            };
          const v = Reflect.get(target, key);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      const dir = mkdtempSync(path.join(os.tmpdir(), "np-policy-cache-"));
      // A first run reads every np policy in full and keeps them (what the phase does after its actions).
      const run1 = await PolicyCache.load(dir);
      const first = await readAcl(counting, names, 0, run1);
      expect(reads).toBe(names.length);
      await run1.save();
      reads = 0;
      const second = await readAcl(counting, names, 0, await PolicyCache.load(dir));
      expect(reads).toBe(0);
      expect(second.policies).toEqual(first.policies);
      reads = 0;
      // Someone edits one of np's policies in Consul: its ModifyIndex moves, np reads it again and repairs it.
      const edited = first.policies[0] as (typeof first.policies)[number];
      await acl.putPolicy(
        { Name: edited.Name, Description: edited.Description, Rules: `${edited.Rules}\n# edited by hand` },
        edited.ID,
      );
      const third = await readAcl(counting, names, 0, await PolicyCache.load(dir));
      expect(reads).toBe(1);
      expect(third.policies.find((p) => p.ID === edited.ID)?.Rules).toMatch(/# edited by hand/);
      const repair = aclActions(desired, third, secrets);
      expect(repair.map((a) => `${a.kind} ${a.name}`)).toEqual([`update policy ${edited.Name}`]);
      for (const a of repair) await a.apply(acl);
      expect(aclActions(desired, await readAcl(acl, names), secrets)).toEqual([]);
    });

    it("every agent joins, and the client got its TLS certificate by auto_encrypt", async () => {
      const api = httpsApi(s1, dispatcher, () => management);
      await until("4 alive members", async () => {
        const m = await api.members();
        return m.filter((x) => x.Status === 1).length === 4 ? m : undefined;
      });
      // Each agent registers its own node with its node-identity token: the catalog lists all four.
      const nodes = await until("every node in the catalog", async () => {
        const r = await call(s1, "GET", "/v1/catalog/nodes", management);
        const list = JSON.parse(r.text) as { Node: string }[];
        return list.length === 4 ? list.map((n) => n.Node).sort() : undefined;
      });
      expect(nodes).toEqual(["c1", "s1", "s2", "s3"]);
    });

    it("anonymous requests see nothing and may change nothing", async () => {
      expect(JSON.parse((await call(C, "GET", "/v1/catalog/nodes")).text)).toEqual([]);
      // Denied outright (403) or filtered to nothing: either way no member is shown.
      const members = await call(C, "GET", "/v1/agent/members");
      expect(members.status === 403 ? members.text : JSON.parse(members.text)).toEqual(
        members.status === 403 ? expect.stringMatching(/ACL not found|Permission denied/) : [],
      );
      expect(await call(C, "GET", "/v1/kv/np/nodes/c1")).toMatchObject({ status: 403 });
      expect(await call(C, "PUT", "/v1/kv/x", undefined, "y")).toMatchObject({ status: 403 });
      expect((await call(s1, "GET", "/v1/operator/autopilot/health")).status).toBe(403);
      // The management token sees it all: the assertions above can fail.
      expect(JSON.parse((await call(C, "GET", "/v1/agent/members", management)).text)).toHaveLength(4);
    });

    it("np-agent's token: its service, its own KV key, nothing more", async () => {
      const t = token(CONSUL_TOKEN.npAgent("c1"));
      expect((await call(C, "PUT", "/v1/kv/np/nodes/c1", t, '{"node":"c1"}')).text).toBe("true");
      expect((await call(C, "PUT", "/v1/kv/np/nodes/s1", t, "x")).status).toBe(403);
      expect((await call(C, "PUT", "/v1/kv/np/nodes/c10", t, "x")).status).toBe(403);
      expect((await call(C, "GET", "/v1/kv/np/nodes/s1", t)).status).toBe(403);
      const service = { Name: "np-agent", ID: "np-agent", Port: 9190 };
      expect((await call(C, "PUT", "/v1/agent/service/register", t, service)).status).toBe(200);
      expect((await call(C, "PUT", "/v1/agent/service/register", t, { Name: "web", Port: 80 })).status).toBe(
        403,
      );
      // Another node's np-agent token cannot write this node's summary.
      expect(
        (await call(C, "PUT", "/v1/kv/np/nodes/c1", token(CONSUL_TOKEN.npAgent("s1")), "x")).status,
      ).toBe(403);
    });

    it("Traefik's token reads the catalog and its health, and cannot write", async () => {
      const t = token(CONSUL_TOKEN.traefik);
      const services = JSON.parse((await call(C, "GET", "/v1/catalog/services", t)).text) as Record<
        string,
        unknown
      >;
      expect(Object.keys(services)).toContain("consul");
      expect((await call(C, "GET", "/v1/health/service/consul", t)).status).toBe(200);
      expect(JSON.parse((await call(C, "GET", "/v1/health/service/consul", t)).text)).toHaveLength(3);
      expect(
        (await call(C, "PUT", "/v1/agent/service/register", t, { Name: "traefik", Port: 80 })).status,
      ).toBe(403);
      expect((await call(C, "GET", "/v1/kv/np/nodes/c1", t)).status).toBe(403);
    });

    it("the service definitions' tokens register Traefik and OpenObserve from the config files", async () => {
      for (const name of ["traefik", "openobserve"]) {
        const instances = await until(`${name} in the catalog`, async () => {
          const list = JSON.parse(
            (await call(s1, "GET", `/v1/catalog/service/${name}`, management)).text,
          ) as {
            Node: string;
          }[];
          return list.length === 1 ? list : undefined;
        });
        expect(instances[0]?.Node).toBe("c1");
      }
      const t = token(CONSUL_TOKEN.openobserveService);
      expect(
        (await call(C, "PUT", "/v1/agent/service/register", t, { Name: "traefik", Port: 80 })).status,
      ).toBe(403);
      expect((await call(C, "GET", "/v1/kv/np/nodes/c1", t)).status).toBe(403);
    });

    it("Nomad's tokens register services and read nodes, but read no KV and touch no ACLs", async () => {
      const t = token(CONSUL_TOKEN.nomadClient);
      const svc = { Name: "web", ID: "_nomad-task-x", Port: 8080 };
      expect((await call(C, "PUT", "/v1/agent/service/register", t, svc)).status).toBe(200);
      expect((await call(C, "PUT", "/v1/agent/service/deregister/_nomad-task-x", t)).status).toBe(200);
      expect(JSON.parse((await call(C, "GET", "/v1/catalog/nodes", t)).text)).toHaveLength(4);
      expect((await call(C, "GET", "/v1/kv/np/nodes/c1", t)).status).toBe(403);
      // A client forwards ACL reads to a server by RPC; on a loaded machine that hop can fail with a 500 (an RPC
      // error, not an answer about the token): asked again until Consul answers about the token itself.
      let acl = await call(C, "GET", "/v1/acl/tokens", t);
      for (let i = 0; acl.status === 500 && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 500));
        acl = await call(C, "GET", "/v1/acl/tokens", t);
      }
      expect(acl.status, acl.text).toBe(403);
    });

    it("an agent's token is its node's: it may not register another node", async () => {
      const t = token(CONSUL_TOKEN.agent("c1"));
      const other = { Node: "s2", Address: "127.0.0.62" };
      expect((await call(C, "PUT", "/v1/catalog/register", t, other)).status).toBe(403);
      expect((await call(C, "GET", "/v1/kv/np/nodes/c1", t)).status).toBe(403);
    });

    it("RPC refuses plain connections and TLS clients without a certificate of the cluster CA", async () => {
      // Consul's RPC port takes a first byte naming the protocol: 0x01 plain RPC, 0x03 TLS.
      const plain = await new Promise<string>((resolve) => {
        const s = netConnect(8300, s1.privateAddress, () => s.write(Buffer.from([0x01, 0x80])));
        s.on("close", () => resolve("closed"));
        s.on("error", () => resolve("closed"));
        setTimeout(() => resolve("still open"), 5000);
      });
      expect(plain).toBe("closed");
      const handshake = (cert?: { cert: string; key: string }) =>
        new Promise<string>((resolve) => {
          const raw = netConnect(8300, s1.privateAddress, () => {
            raw.write(Buffer.from([0x03]));
            const t = tlsConnect({
              socket: raw,
              ca: secrets.get("tls-ca-cert").reveal(),
              servername: "server.dc1.consul",
              ...cert,
            });
            t.on("secureConnect", () => {
              // TLS 1.3: a refused client certificate arrives as an alert after the handshake, on the first read.
              t.write(Buffer.from([0x01]));
              setTimeout(() => resolve(t.destroyed ? "refused" : "accepted"), 1000);
            });
            t.on("error", () => resolve("refused"));
          });
          raw.on("error", () => resolve("refused"));
        });
      expect(await handshake()).toBe("refused");
      const id = "consul-server-s2";
      expect(
        await handshake({
          cert: secrets.get(`tls-${id}-cert`).reveal(),
          key: secrets.get(`tls-${id}-key`).reveal(),
        }),
      ).toBe("accepted");
    });
  },
);

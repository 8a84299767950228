import { execFileSync } from "node:child_process";
import { randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsulAclApi } from "../../src/api/consul-acl.js";
import { consulKeyring, onlyKeyEverywhere } from "../../src/api/keyring.js";
import { loadClusterSecrets } from "../../src/cluster/cluster-secrets.js";
import { aclActions, readAcl } from "../../src/cluster/consul-acl.js";
import { bootstrapAcl } from "../../src/cluster/consul-bootstrap.js";
import { CONSUL_TOKEN, consulAcl, MANAGEMENT_TOKEN } from "../../src/components/consul/index.js";
import { dropTrustedCa, enterCaRotationStage, nextCa, promoteNextCa } from "../../src/pki/ca-rotation.js";
import { derOf } from "../../src/pki/expiry.js";
import { PkiStore } from "../../src/pki/store.js";
import { createConsulToken, removeConsulToken } from "../../src/rotate/consul-tokens.js";
import { RotationStore } from "../../src/rotate/store.js";
import { generateGossipKey, SecretStore, type SecretValues } from "../../src/secrets/index.js";
import { consulBinary, consulMissing } from "../helpers/consul-binary.js";
import { call, httpsApi, LoopbackConsul, tlsDispatcher, until } from "../helpers/consul-tls-cluster.js";
import { host, inventory } from "../unit/render-fixtures.js";

// Loopback addresses of this file's agents (consul-tls-acl.test.ts uses .61-.64).
const at = (name: string, octet: number, roles: Parameters<typeof host>[2]) =>
  host(name, octet, roles, { privateAddress: `127.0.0.${octet}` });
const S = [at("s1", 71, ["server"]), at("s2", 72, ["server"]), at("s3", 73, ["server"])];
const C = at("c1", 74, ["client", "edge", "observe"]);
const ALL = [...S, C];
const inv = { ...inventory(ALL), dir: mkdtempSync(path.join(os.tmpdir(), "np-consul-rotate-")) };
const stateDir = path.join(inv.dir, ".np");
const s1 = S[0] as (typeof S)[number];

let cluster: LoopbackConsul;
let secrets: SecretValues;
let management = "";

/** The certificate an agent's HTTPS API presents, as DER. */
const served = (h: (typeof S)[number]) =>
  new Promise<Buffer>((resolve, reject) => {
    const s = tlsConnect({ host: h.privateAddress, port: 8501, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().raw);
      s.destroy();
    });
    s.on("error", reject);
  });

/** Re-renders every agent's files from .np/secrets as they are now and sends each SIGHUP (a reload). */
async function renderAndReload(hosts = ALL): Promise<void> {
  secrets = (await loadClusterSecrets(inv)).secrets;
  cluster = Object.assign(cluster, { secrets });
  for (const h of hosts) {
    cluster.write(h);
    cluster.procs.get(h.name)?.kill("SIGHUP");
  }
}

const api = (token: () => string | undefined = () => management) => {
  const ca = secrets.get("tls-ca-cert").reveal();
  return httpsApi(s1, tlsDispatcher(ca), token);
};

/** Every agent alive, and a healthy quorum that tolerates a failure. */
async function healthy(): Promise<void> {
  await until(
    "4 alive members and a healthy quorum",
    async () => {
      const a = api();
      const [m, h] = await Promise.all([a.members(), a.autopilotHealth()]);
      return m.filter((x) => x.Status === 1).length === 4 && h.Healthy && h.FailureTolerance === 1
        ? true
        : undefined;
    },
    90_000,
  );
}

describe.skipIf(consulMissing())(
  "rotating a real Consul 1.8.7's secrets live (TLS certificates, the CA, the gossip key, the ACL tokens)",
  () => {
    beforeAll(async () => {
      secrets = (await loadClusterSecrets(inv)).secrets;
      cluster = new LoopbackConsul(path.join(inv.dir, "hosts"), inv, secrets);
      for (const h of ALL) cluster.start(h);
      const d = tlsDispatcher(secrets.get("tls-ca-cert").reveal());
      management = await bootstrapAcl(
        S.map((h) => httpsApi(h, d, () => undefined)),
        { timeoutMs: 90_000 },
      );
      await new SecretStore(stateDir).save(MANAGEMENT_TOKEN, management);
      const acl = new ConsulAclApi(httpsApi(s1, d, () => management).json);
      const desired = consulAcl(inv);
      const existing = await readAcl(
        acl,
        desired.policies.map((p) => p.name),
      );
      for (const a of aclActions(desired, existing, secrets)) await a.apply(acl);
      await healthy();
    }, 180_000);

    afterAll(() => cluster?.stop());

    it("gossip: install → use → remove through /v1/operator/keyring leaves only the new key on every member", async () => {
      const keyring = consulKeyring(api().json);
      const old = secrets.get("consul-gossip").reveal();
      const before = await keyring.list();
      expect(before.map((p) => p.pool).sort()).toEqual(["WAN", "dc1 (LAN)"]);
      expect(onlyKeyEverywhere(before, old)).toBe(true);
      // Without np's token the keyring is not even listed (1.8.7 answers 500 "Reading keyring denied by ACLs").
      await expect(consulKeyring(api(() => undefined).json).list()).rejects.toThrow(/denied by ACLs/);
      const next = generateGossipKey();
      await keyring.install(next);
      await keyring.install(next); // idempotent: a re-run after an interruption installs it again
      expect(
        (await keyring.list()).every((p) => p.keys[next] === p.members && p.keys[old] === p.members),
      ).toBe(true);
      // The primary key cannot go: Serf refuses, and np's client reports it.
      await expect(keyring.remove(old)).rejects.toThrow(/primary key/i);
      await keyring.use(next);
      await keyring.remove(old);
      const after = await keyring.list();
      expect(onlyKeyEverywhere(after, next)).toBe(true);
      expect(after.find((p) => p.pool === "dc1 (LAN)")?.members).toBe(4);
      expect(after.find((p) => p.pool === "WAN")?.members).toBe(3);
      // The CLI agrees (consul keyring -list with the management token; on a server: a client answers 500).
      const cli = execFileSync(
        consulBinary,
        ["keyring", "-list", `-http-addr=http://${s1.privateAddress}:8500`],
        {
          env: { ...process.env, CONSUL_HTTP_TOKEN: management },
          encoding: "utf8",
        },
      );
      expect(cli).toContain(next);
      expect(cli).not.toContain(old);
      await healthy();
      // The config gets the new key without a restart; a restarted agent uses its keyring file, a new one the key.
      await new RotationStore(stateDir).promote(
        { name: "consul-gossip", valid: () => true, describe: "" },
        next,
      );
      await renderAndReload();
      cluster.procs.get("s2")?.kill("SIGKILL");
      cluster.start(S[1] as (typeof S)[number]);
      await healthy();
    }, 180_000);

    it("tokens: made beside the old ones, taken by the agent on a reload, then the old ones (the bootstrap token too) deleted", async () => {
      const names = [
        MANAGEMENT_TOKEN.name,
        CONSUL_TOKEN.agent("c1"),
        CONSUL_TOKEN.traefikService,
        CONSUL_TOKEN.openobserveService,
      ];
      const old = new Map(
        names.map((n) => [n, n === MANAGEMENT_TOKEN.name ? management : secrets.get(n).reveal()]),
      );
      const next = new Map(names.map((n) => [n, randomUUID()]));
      const self = (token: string) => new ConsulAclApi(api(() => token).json).self();
      const rights = (t: Awaited<ReturnType<typeof self>>) => ({
        policies: (t?.Policies ?? []).map((p) => p.Name),
        nodes: t?.NodeIdentities ?? [],
      });
      const acl = new ConsulAclApi(api().json);
      for (const n of names) {
        await createConsulToken(acl, inv, n, next.get(n) as string);
        await createConsulToken(acl, inv, n, next.get(n) as string); // a resumed run: made once
      }
      // Both work side by side, with the same rights (np's own: Consul's global-management).
      for (const n of names) {
        const [was, now] = [await self(old.get(n) as string), await self(next.get(n) as string)];
        expect(was, n).not.toBeNull();
        expect(rights(now), n).toEqual(rights(was));
      }
      expect(rights(await self(next.get(MANAGEMENT_TOKEN.name) as string)).policies).toEqual([
        "global-management",
      ]);
      const pid = cluster.procs.get("c1")?.pid;
      const store = new RotationStore(stateDir);
      for (const n of names)
        await store.promote({ name: n, valid: () => true, describe: "" }, next.get(n) as string);
      management = next.get(MANAGEMENT_TOKEN.name) as string;
      await renderAndReload([C]);
      // Deleted through the new management token; the bootstrap token (Consul's own AccessorID) goes too.
      const asNew = new ConsulAclApi(api().json);
      for (const n of names) {
        await removeConsulToken(api(), old.get(n) as string);
        await removeConsulToken(api(), old.get(n) as string); // gone already: fine
        expect(await self(old.get(n) as string), n).toBeNull();
      }
      const left = await asNew.tokens();
      for (const n of names)
        expect(
          left.some((t) => t.SecretID === old.get(n)),
          n,
        ).toBe(false);
      // c1 syncs with its new tokens only: its node and its services, removed from the catalog, come back by
      // anti-entropy (the node with the agent token, the services with theirs, all read again on the reload).
      const deregistered = await call(s1, "PUT", "/v1/catalog/deregister", management, {
        Datacenter: "dc1",
        Node: "c1",
      });
      expect(deregistered.status).toBe(200);
      await until(
        "c1 and its services back in the catalog",
        async () => {
          const list = async (p: string) =>
            JSON.parse((await call(s1, "GET", p, management)).text) as { Node: string }[];
          const [nodes, traefik, oo] = await Promise.all([
            list("/v1/catalog/nodes"),
            list("/v1/catalog/service/traefik"),
            list("/v1/catalog/service/openobserve"),
          ]);
          return nodes.some((x) => x.Node === "c1") && traefik.length > 0 && oo.length > 0 ? true : undefined;
        },
        200_000,
      );
      expect(cluster.procs.get("c1")?.pid).toBe(pid);
      await healthy();
    }, 300_000);

    it("a renewed server certificate is served after SIGHUP, without a restart", async () => {
      const pki = new PkiStore(stateDir);
      const ca = await pki.ca(inv.cluster.name);
      const pid = cluster.procs.get("s1")?.pid;
      const before = await served(s1);
      // A leaf near its end (10 days): np's PKI issues it again, and the agent serves the new one after a reload.
      const { issueLeaf, consulServerProfile } = await import("../../src/pki/index.js");
      const profile = consulServerProfile("dc1", s1);
      const short = await issueLeaf(ca, { ...profile, validityDays: 10 });
      const { writePrivate } = await import("../../src/pki/store.js");
      await writePrivate(path.join(pki.dir, `${profile.id}.key`), short.keyPem);
      await writePrivate(path.join(pki.dir, `${profile.id}.crt`), short.certPem);
      const { issued } = await loadClusterSecrets(inv);
      expect(issued).toEqual([
        { id: profile.id, why: expect.stringMatching(/^it expires on \d{4}-\d{2}-\d{2}$/) },
      ]);
      await renderAndReload([s1]);
      const want = derOf(secrets.get(`tls-${profile.id}-cert`).reveal())[0] as Buffer;
      expect(want.equals(before)).toBe(false);
      await until("s1 serves its new certificate", async () =>
        (await served(s1)).equals(want) ? true : undefined,
      );
      expect(cluster.procs.get("s1")?.pid).toBe(pid);
      expect(cluster.procs.get("s1")?.exitCode).toBeNull();
      await healthy();
    }, 120_000);

    it("ca: trust both, the new CA signs, drop the old — reloads only, the quorum and the client stay", async () => {
      const pki = new PkiStore(stateDir);
      const oldCa = (await pki.ca(inv.cluster.name)).certPem;
      const pids = ALL.map((h) => cluster.procs.get(h.name)?.pid);
      const fresh = await nextCa(pki, inv.cluster.name);
      await enterCaRotationStage(pki, "trust-both");
      await renderAndReload();
      expect(derOf(secrets.get("tls-ca-cert").reveal())).toHaveLength(2);
      await healthy();
      await enterCaRotationStage(pki, "new-signs");
      await promoteNextCa(pki);
      await renderAndReload(S);
      for (const s of S) {
        const der = await until(`${s.name} serves a certificate of the new CA`, async () => {
          const d = await served(s);
          return new X509Certificate(d).checkIssued(new X509Certificate(fresh.certPem)) ? d : undefined;
        });
        expect(der).toBeDefined();
      }
      await healthy();
      await enterCaRotationStage(pki, "drop-old");
      await dropTrustedCa(pki);
      await renderAndReload();
      expect(derOf(secrets.get("tls-ca-cert").reveal())).toHaveLength(1);
      expect(secrets.get("tls-ca-cert").reveal()).toBe(fresh.certPem);
      await healthy();
      expect(ALL.map((h) => cluster.procs.get(h.name)?.pid)).toEqual(pids);
      // The old CA no longer verifies the servers; the new one does.
      await expect(httpsApi(s1, tlsDispatcher(oldCa), () => management).leader()).rejects.toThrow();
      // A client that starts now gets its certificate (auto_encrypt) from servers it checks against the new CA.
      cluster.procs.get("c1")?.kill("SIGKILL");
      cluster.start(C);
      await healthy();
    }, 240_000);
  },
);

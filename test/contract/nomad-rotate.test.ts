// Contract test of np rotate tokens' Nomad side against np's Nomad double (NOT Nomad), started from np's own
// renders (3 servers + 1 client on loopback, TLS and ACLs on): a new token beside the old one, the old one
// deleted, np's management token replaced (the bootstrap token deleted by the new one), and a token made but
// never saved swept by its name. The double's answers follow nomad/acl_endpoint.go (UpsertTokens, DeleteTokens'
// 400 `Cannot delete nonexistent tokens: <accessor>`, ResolveToken) and command/agent/acl_endpoint.go.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../src/api/http.js";
import { NomadAclApi } from "../../src/api/nomad-acl.js";
import { loadClusterSecrets } from "../../src/cluster/cluster-secrets.js";
import { nomadAclActions, readNomadAcl } from "../../src/cluster/nomad-acl.js";
import { bootstrapNomadAcl, isNomadManagement } from "../../src/cluster/nomad-acl-bootstrap.js";
import { NOMAD_MANAGEMENT, NOMAD_TOKEN, nomadAcl } from "../../src/components/nomad/index.js";
import {
  createNomadToken,
  NOMAD_MANAGEMENT_NAME,
  removeNomadToken,
  sweepNomadTokens,
} from "../../src/rotate/nomad-tokens.js";
import { SecretStore, type SecretValues } from "../../src/secrets/index.js";
import { until as waitFor } from "../helpers/consul-tls-cluster.js";
import { startSecureNomad } from "../helpers/nomad-secure-cluster.js";
import { type LoopbackNomad, type nomadDispatcher, nomadHttps } from "../helpers/nomad-tls-cluster.js";
import { host, inventory } from "../unit/render-fixtures.js";

// Loopback addresses of this file's agents (nomad-tls-acl.test.ts uses .71-.74).
const at = (name: string, octet: number, roles: Parameters<typeof host>[2]) =>
  host(name, octet, roles, { privateAddress: `127.0.0.${octet}` });
const S = [at("s1", 81, ["server"]), at("s2", 82, ["server"]), at("s3", 83, ["server"])];
const C = at("c1", 84, ["client"]);
const inv = { ...inventory([...S, C]), dir: mkdtempSync(path.join(os.tmpdir(), "np-nomad-rotate-")) };
const s1 = S[0] as (typeof S)[number];
const stateDir = path.join(inv.dir, ".np");

let cluster: LoopbackNomad;
let secrets: SecretValues;
let dispatcher: ReturnType<typeof nomadDispatcher>;
let management = "";
const reveal = (name: string) => secrets.get(name).reveal();
const acl = (token: string = management, h = s1) => new NomadAclApi(nomadHttps(h, dispatcher, token));
/** GET /v1/jobs as `token`: 200, or Nomad's 403 `Permission denied`. */
const listJobs = async (token: string) => {
  const r = await nomadHttps(s1, dispatcher, token).json.get<unknown>("/v1/jobs", [403]);
  return r.status === 403 ? `${r.status} ${String(r.body)}` : r.status;
};

describe("np rotate tokens against the Nomad double started from np's renders", () => {
  beforeAll(async () => {
    const started = await startSecureNomad(inv, S, [...S, C]);
    ({ secrets, cluster, dispatcher, management } = started);
    expect(started.bootstrapped).toBe(true);
    // np up's ACL phase: np's policies and client tokens, each SecretID saved as Nomad made it.
    const api = acl();
    const desired = nomadAcl(inv);
    for (const a of nomadAclActions(desired, await readNomadAcl(api, desired, secrets))) {
      const secret = await a.apply(api);
      if (a.secret && secret)
        await new SecretStore(stateDir).save({ name: a.secret, valid: () => true, describe: "" }, secret);
    }
    secrets = (await loadClusterSecrets(inv)).secrets;
  }, 90_000);

  afterAll(async () => {
    await dispatcher?.close();
    cluster?.stop();
  });

  it("a new client token beside the old one: both work until the old one is deleted, then only the new", async () => {
    const old = reveal(NOMAD_TOKEN.apps);
    const next = await createNomadToken(acl(), inv, NOMAD_TOKEN.apps);
    expect(next).not.toBe(old);
    const [was, now] = [await acl().self(old), await acl().self(next)];
    expect(now).toMatchObject({
      Name: "np: app commands",
      Type: "client",
      Policies: ["np-apps"],
      Global: false,
    });
    expect(now?.Name).toBe(was?.Name);
    expect(now?.AccessorID).not.toBe(was?.AccessorID);
    expect([await listJobs(old), await listJobs(next)]).toEqual([200, 200]);
    await removeNomadToken(acl(), old);
    await removeNomadToken(acl(), old); // gone already: fine
    expect(await acl().self(old)).toBeNull();
    expect([await listJobs(old), await listJobs(next)]).toEqual(["403 Permission denied", 200]);
    // Deleting an accessor Nomad no longer knows is its 400 `Cannot delete nonexistent tokens`, which np takes as done.
    const raw = await nomadHttps(s1, dispatcher, management).json.send<string>(
      "DELETE",
      `/v1/acl/token/${was?.AccessorID}`,
      undefined,
      [400],
    );
    expect([raw.status, raw.body]).toEqual([400, `Cannot delete nonexistent tokens: ${was?.AccessorID}`]);
    await expect(acl().deleteToken(was?.AccessorID as string)).resolves.toBeUndefined();
    // The other servers know it too (the ACL state is replicated): asked of a follower.
    await waitFor("s3 knows the new token", async () =>
      (await acl(next, S[2]).self(next)) ? true : undefined,
    );
    await new SecretStore(stateDir).save({ name: NOMAD_TOKEN.apps, valid: () => true, describe: "" }, next);
    secrets = (await loadClusterSecrets(inv)).secrets;
  });

  it("np's management token: a new one made by the old deletes the bootstrap token; np up's bootstrap accepts it", async () => {
    const old = management;
    const next = await createNomadToken(acl(old), inv, NOMAD_MANAGEMENT.name);
    expect(await acl(next).self(next)).toMatchObject({
      Name: NOMAD_MANAGEMENT_NAME,
      Type: "management",
      Policies: null,
      Global: true,
    });
    const apis = S.map((h) => nomadHttps(h, dispatcher));
    expect(await isNomadManagement(apis, next)).toBe(true);
    await removeNomadToken(acl(next), old);
    management = next;
    expect(await isNomadManagement(apis, old)).toBe(false);
    expect((await acl().tokens()).map((t) => t.Name)).not.toContain("Bootstrap Token");
    // np up's bootstrap phase finds np's secret already a management token: nothing to bootstrap.
    expect(await bootstrapNomadAcl(apis, next, { timeoutMs: 10_000, intervalMs: 300 })).toBe(false);
    // The old one manages nothing any more.
    await expect(acl(old).tokens()).rejects.toSatisfy(
      (e: unknown) => e instanceof ApiError && e.status === 403,
    );
  });

  it("a token Nomad made but np never saved (a cut run) is swept by its name; the saved ones stay", async () => {
    const agent = reveal(NOMAD_TOKEN.npAgent("c1"));
    const stray = await createNomadToken(acl(), inv, NOMAD_TOKEN.npAgent("c1"));
    const names = [NOMAD_MANAGEMENT.name, NOMAD_TOKEN.apps, NOMAD_TOKEN.npAgent("c1")];
    const keep = [management, reveal(NOMAD_TOKEN.apps), agent];
    const named = async () => (await acl().tokens()).filter((t) => t.Name === "np: np-agent on c1").length;
    expect(await named()).toBe(2);
    // Nomad's list has no SecretIDs (ACLTokenListStub): np finds its own by asking as each (token/self).
    expect((await acl().tokens()).every((t) => t.SecretID === undefined)).toBe(true);
    expect(await sweepNomadTokens(acl(), inv, names, keep)).toBe(1);
    expect(await sweepNomadTokens(acl(), inv, names, keep)).toBe(0);
    expect(await named()).toBe(1);
    expect(await acl().self(stray)).toBeNull();
    expect(await acl().self(reveal(NOMAD_TOKEN.apps))).toMatchObject({ Name: "np: app commands" });
    expect(await acl().self(agent)).toMatchObject({ Name: "np: np-agent on c1" });
    expect(await acl().self(management)).toMatchObject({ Type: "management" });
  });
});

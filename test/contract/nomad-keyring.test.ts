// Contract test of np's Nomad gossip keyring client (src/api/keyring.ts nomadKeyring) against np's Nomad double
// (NOT Nomad), started from np's renders (3 servers + 1 client on loopback, TLS and ACLs on). The double's keyring
// follows command/agent/agent_endpoint.go KeyringOperationRequest, serf's key queries and memberlist's keyring:
// install/use/remove on every alive server, the keyring file data_dir/server/serf.keyring winning over `encrypt`
// after a restart, and a server gossiping with the old key refused once it is removed.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../src/api/http.js";
import { nomadKeyring, onlyKeyEverywhere } from "../../src/api/keyring.js";
import { generateGossipKey, type SecretValues } from "../../src/secrets/index.js";
import { until } from "../helpers/consul-tls-cluster.js";
import { startSecureNomad } from "../helpers/nomad-secure-cluster.js";
import { type LoopbackNomad, type nomadDispatcher, nomadHttps } from "../helpers/nomad-tls-cluster.js";
import { host, inventory } from "../unit/render-fixtures.js";

const DOUBLE = fileURLToPath(new URL("../doubles/nomad-double.mjs", import.meta.url));

// Loopback addresses of this file's agents (.111-.115: no other test file uses them).
const at = (name: string, octet: number, roles: Parameters<typeof host>[2]) =>
  host(name, octet, roles, { privateAddress: `127.0.0.${octet}` });
const S = [at("s1", 111, ["server"]), at("s2", 112, ["server"]), at("s3", 113, ["server"])];
const C = at("c1", 114, ["client"]);
/** A server outside the inventory that keeps the old key: s1's nomad.hcl on its own address and data dir. */
const STALE = { name: "s4", address: "127.0.0.115" };
const inv = { ...inventory([...S, C]), dir: mkdtempSync(path.join(os.tmpdir(), "np-nomad-keyring-")) };
const [s1, s2, s3] = S as [(typeof S)[0], (typeof S)[0], (typeof S)[0]];

let cluster: LoopbackNomad;
let secrets: SecretValues;
let dispatcher: ReturnType<typeof nomadDispatcher>;
let management = "";
let stale: ChildProcess | undefined;
let staleOutput = "";
const reveal = (name: string) => secrets.get(name).reveal();
const keyring = (h = s1, token: string = management) => nomadKeyring(nomadHttps(h, dispatcher, token).json);
/** The HTTP status and text an operation answers with (Nomad's errors are plain text). */
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof ApiError ? `${err.status} ${err.body}` : String(err);
};
const keyringFile = (h: typeof s1) => path.join(cluster.dir, h.name, "data", "server", "serf.keyring");
/** Starts STALE: s1's rendered config (the old `encrypt`, the same TLS files) moved to its address and dir. */
function startStale(): void {
  const root = path.join(cluster.dir, STALE.name);
  mkdirSync(path.join(root, "data"), { recursive: true });
  const s1Root = path.join(cluster.dir, s1.name);
  const text = readFileSync(cluster.write(s1), "utf8")
    .replaceAll(`"${s1.privateAddress}"`, `"${STALE.address}"`)
    .replace(/^name\s*=.*$/m, `name = "${STALE.name}"`)
    .replace(JSON.stringify(path.join(s1Root, "data")), JSON.stringify(path.join(root, "data")));
  expect(text).toContain(path.join(root, "data"));
  const config = path.join(root, "nomad.hcl");
  writeFileSync(config, text);
  stale = spawn(process.execPath, [DOUBLE, "agent", "-config", config], {
    env: { ...process.env, NOMAD_DOUBLE_GOSSIP_MS: "150", NOMAD_DOUBLE_FAILURE_MS: "1500" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (d: Buffer) => {
    staleOutput += d.toString();
  };
  stale.stdout?.on("data", keep);
  stale.stderr?.on("data", keep);
}

/** Waits until the servers' pool has `n` alive members that all hold `keys` (and nothing else). */
const poolHolds = (keys: string[], n = 3, via = s1) =>
  until(
    `${n} servers holding ${keys.length} key(s)`,
    async () => {
      const [p] = await keyring(via).list();
      const want = Object.fromEntries(keys.map((k) => [k, n]));
      return p?.members === n && JSON.stringify(p.keys) === JSON.stringify(want) ? p : undefined;
    },
    60_000,
  );

describe("Nomad's gossip keyring through np's client, against the Nomad double started from np's renders", () => {
  beforeAll(async () => {
    const started = await startSecureNomad(inv, S, [...S, C]);
    ({ secrets, cluster, dispatcher, management } = started);
    expect(started.bootstrapped).toBe(true);
  }, 90_000);

  afterAll(async () => {
    stale?.kill("SIGKILL");
    await dispatcher?.close();
    cluster?.stop();
  });

  it("lists the key nomad.hcl's `encrypt` seeded, on every server; agent:write only, servers only", async () => {
    const old = reveal("nomad-gossip");
    await poolHolds([old]);
    expect(JSON.parse(readFileSync(keyringFile(s2), "utf8"))).toEqual([old]);
    // aclPermissionCheckHelper: anonymous lacks agent:write; a bad secret is its authentication error
    expect(await failure(keyring(s1, "").list())).toBe("403 Permission denied");
    expect(await failure(keyring(s1, "00000000-0000-0000-0000-000000000000").list())).toBe(
      "403 Permission denied",
    );
    // srv == nil on a client agent: 501 before any ACL check
    expect(await failure(keyring(C).list())).toBe("501 Invalid method");
    const raw = await nomadHttps(s1, dispatcher, management).json.get<string>(
      "/v1/agent/keyring/rotate",
      [404],
    );
    expect([raw.status, raw.body]).toEqual([404, "resource not found"]);
  });

  it("install, use, remove: every server holds only the new key, in its keyring file too; Serf's errors", async () => {
    const old = reveal("nomad-gossip");
    const next = generateGossipKey();
    const k = keyring();
    await k.install(next);
    await k.install(next); // installed already: memberlist's AddKey is a no-op
    await poolHolds([old, next]);
    // the old key is still the primary: it cannot go, and a key not installed cannot be used
    expect(await failure(k.remove(old))).toBe("500 3/3 nodes reported failure");
    expect(await failure(k.use(generateGossipKey()))).toBe("500 3/3 nodes reported failure");
    expect(await failure(k.install("not base64!"))).toBe("500 illegal base64 data at input byte 3");
    expect(await failure(k.install(Buffer.alloc(8).toString("base64")))).toBe(
      "500 3/3 nodes reported failure",
    );
    await keyring(s2).use(next);
    expect(await failure(k.remove(next))).toBe("500 3/3 nodes reported failure");
    await k.remove(old);
    await k.remove(old); // gone already: no-op
    const pools = await poolHolds([next]);
    expect(onlyKeyEverywhere([pools], next)).toBe(true);
    for (const h of S) expect(JSON.parse(readFileSync(keyringFile(h), "utf8"))).toEqual([next]);
    // the members' failures are named in the double's log (Nomad's HTTP answer carries only the count)
    expect(cluster.output.get("s1")).toContain("removing the primary key is not allowed");
    // the servers still gossip with each other: a leader, every member alive
    const members = await nomadHttps(s1, dispatcher, management).members();
    expect(members.filter((m) => m.Status === "alive")).toHaveLength(3);
  });

  it("a restarted server keeps the new key from its keyring file (nomad.hcl still has the old one)", async () => {
    const next = Object.keys((await keyring().list())[0]?.keys ?? {})[0] as string;
    expect(next).not.toBe(reveal("nomad-gossip"));
    cluster.procs.get("s3")?.kill("SIGKILL");
    await until(
      "s3 gone from the pool",
      async () => ((await keyring().list())[0]?.members === 2 ? true : undefined),
      60_000,
    );
    cluster.start(s3); // renders nomad.hcl from the same secrets: `encrypt` is the old key
    await until("s3 up again", async () => ((await keyring(s3).list())[0] ? true : undefined), 60_000);
    expect(cluster.output.get("s3")).toContain("WARNING: keyring exists but -encrypt given, using keyring");
    await poolHolds([next], 3, s3);
    expect(JSON.parse(readFileSync(keyringFile(s3), "utf8"))).toEqual([next]);
  }, 120_000);

  it("a server that gossips with the old key is refused: it never joins the pool", async () => {
    startStale();
    await until(
      "the servers refusing s4's gossip",
      async () =>
        S.some((h) =>
          /No installed keys could decrypt the message.*127\.0\.0\.115:4648/.test(
            cluster.output.get(h.name) ?? "",
          ),
        )
          ? true
          : undefined,
      60_000,
    );
    const members = await nomadHttps(s1, dispatcher, management).members();
    expect(members.map((m) => m.Addr).sort()).toEqual(S.map((h) => h.privateAddress).sort());
    expect((await keyring().list())[0]?.members).toBe(3);
    // it did start and try: the refusal is the servers', not a dead process
    expect(staleOutput).toContain("starting retry join");
  }, 90_000);
});

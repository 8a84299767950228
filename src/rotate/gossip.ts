import path from "node:path";
import {
  consulKeyring,
  type GossipKeyringApi,
  type KeyringPool,
  nomadKeyring,
  onlyKeyEverywhere,
} from "../api/keyring.js";
import { type HostRun, type RunContext, withRole } from "../cluster/context.js";
import { OperationError } from "../errors.js";
import { generateGossipKey } from "../secrets/index.js";
import { convergePass } from "./pass.js";
import type { RotationReport } from "./report.js";
import { RotationStore } from "./store.js";
import type { ComponentCredentials, GossipKeyringSpec } from "./types.js";

/** A component's credentials that include a gossip key. */
type GossipCredentials = ComponentCredentials & { gossip: GossipKeyringSpec };

/**
 * The component's keyring API through the first server that answers (servers only: a Consul client agent
 * answers 500, a Nomad client 501).
 */
async function onKeyring<T>(
  ctx: RunContext,
  spec: GossipKeyringSpec,
  fn: (keyring: GossipKeyringApi, via: HostRun) => Promise<T>,
): Promise<T> {
  let last: unknown = new OperationError("the inventory has no server");
  for (const h of withRole(ctx, "server")) {
    const api = ctx.tunnels.for(spec.keyring, h.conn, h.spec.privateAddress).json;
    try {
      return await fn(spec.keyring === "nomad" ? nomadKeyring(api) : consulKeyring(api), h);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** How many members each pool must have: every host in Consul's LAN pool, the servers in the others. */
function expectedMembers(ctx: RunContext, pool: KeyringPool): number {
  return pool.pool.endsWith("(LAN)") ? ctx.hosts.length : withRole(ctx, "server").length;
}

/** The hosts that gossip with the key: every Consul agent; only Nomad's servers (its clients talk RPC). */
const gossipingHosts = (ctx: RunContext, cred: GossipCredentials) =>
  (cred.gossip.keyring === "nomad" ? withRole(ctx, "server") : ctx.hosts).filter((h) =>
    h.desired.components.some((c) => c.name === cred.component),
  );

const short = (key: string) => `${key.slice(0, 6)}…`;

/**
 * Replaces one component's gossip key the way Serf's keyring allows without a restart: the new key is saved in
 * .np/secrets/rotating first, installed on every member, made the one they encrypt with, then takes the old
 * key's place in .np/secrets (the old kept in retiring/) and in every host's config (for agents that start
 * later; nothing restarts: the agents use their keyring); only then is every other key removed. A run
 * interrupted anywhere goes on from where it stopped.
 */
export async function rotateGossipKey(
  ctx: RunContext,
  cred: GossipCredentials,
  report: RotationReport,
): Promise<void> {
  const spec = cred.gossip;
  const name = spec.secret.name;
  const store = new RotationStore(path.join(ctx.inv.dir, ".np"));
  // Switched already (an interrupted run got that far): the new key is the one .np/secrets holds.
  let key = (await store.retiring(name)) === undefined ? undefined : ctx.secrets?.get(name).reveal();
  if (key === undefined) {
    const next = (await store.next(name)) ?? generateGossipKey();
    await store.saveNext(name, next);
    await onKeyring(ctx, spec, async (keyring, via) => {
      await keyring.install(next);
      report.cluster(
        via.spec.name,
        `${cred.component} keyring: installed the new key ${short(next)} on every member`,
      );
      await keyring.use(next);
      report.cluster(via.spec.name, `${cred.component} keyring: every member encrypts with the new key`);
    });
    await store.promote(spec.secret, next);
    key = next;
  }
  const before = new Map<string, string>();
  const old = await store.retiring(name);
  if (old !== undefined) before.set(name, old);
  // The new key in every host's config (a node added later joins with it); the running agents keep running.
  // Consul reads `encrypt` only when its keyring file is new; Nomad the same (command/agent/agent.go
  // setupKeyrings: data_dir/server/serf.keyring, seeded from `encrypt` once, wins over it afterwards): a restart
  // would change nothing, the keyrings hold the new key already.
  await convergePass(ctx, { before });
  const newKey = key;
  await onKeyring(ctx, spec, async (keyring, via) => {
    const pools = await keyring.list();
    for (const p of pools) {
      const want = expectedMembers(ctx, p);
      if ((p.keys[newKey] ?? 0) < want || p.members < want)
        throw new OperationError(
          `${cred.component} keyring: only ${p.keys[newKey] ?? 0} of ${want} members of ${p.pool} hold the new key; the old key stays installed`,
          "bring every member back (`np status`), then run `np rotate gossip` again: it goes on from here",
        );
    }
    const others = [...new Set(pools.flatMap((p) => Object.keys(p.keys)))].filter((k) => k !== newKey);
    for (const k of others) await keyring.remove(k);
    const after = await keyring.list();
    if (!onlyKeyEverywhere(after, newKey))
      throw new OperationError(
        `${cred.component} keyring: after removing the old keys it still reports ${after.map((p) => `${p.pool}: ${Object.keys(p.keys).length} keys on ${p.members} members`).join(", ")}`,
        "run `np rotate gossip` again",
      );
    report.cluster(
      via.spec.name,
      `${cred.component} keyring: removed ${others.length} old key${others.length === 1 ? "" : "s"}; ${after.map((p) => `${p.pool}: only the new key, on all ${p.members} members`).join("; ")}`,
    );
  });
  await store.forget(name);
  for (const h of gossipingHosts(ctx, cred))
    report.host(h.spec.name, `${cred.component} gossip key replaced, in its keyring and its config`);
}

/**
 * `np rotate gossip`: every component's gossip key, one after the other, each resumable on its own. A new
 * rotation saves every component's new key under rotating/ before the first keyring hears of one, so a run
 * interrupted in any component goes on with the ones not finished yet (a finished one has forgotten its old
 * key) and does not rotate a finished one again.
 */
export async function rotateGossipKeys(
  ctx: RunContext,
  creds: readonly GossipCredentials[],
  report: RotationReport,
): Promise<void> {
  const store = new RotationStore(path.join(ctx.inv.dir, ".np"));
  const files = await store.underWay();
  const busy = new Set([...files.rotating, ...files.retiring]);
  const underWay = creds.filter((c) => busy.has(c.gossip.secret.name));
  if (underWay.length === 0)
    for (const c of creds) await store.saveNext(c.gossip.secret.name, generateGossipKey());
  const todo = underWay.length > 0 ? underWay : creds;
  for (const c of creds.filter((x) => !todo.includes(x)))
    ctx.out.info(`${c.component} gossip key: rotated already by the interrupted run`);
  for (const c of todo) await rotateGossipKey(ctx, c, report);
}

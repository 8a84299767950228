import type { JsonApi } from "./http.js";

/** One gossip pool's keyring as the cluster reports it: each installed key and how many members hold it. */
export interface KeyringPool {
  /** "dc1 (LAN)", "WAN", "servers": which pool. */
  pool: string;
  keys: Record<string, number>;
  /** Members asked (alive members of the pool). */
  members: number;
}

/**
 * The gossip keyring of a cluster (Serf's key manager behind an HTTP API): every operation is a query answered by
 * every alive member, and fails (HTTP 500 naming the members that refused) unless all of them succeeded.
 */
export interface GossipKeyringApi {
  list(): Promise<KeyringPool[]>;
  install(key: string): Promise<void>;
  /** Makes an installed key the one members encrypt with (they still accept every installed key). */
  use(key: string): Promise<void>;
  remove(key: string): Promise<void>;
}

/** Consul's `/v1/operator/keyring` (GET list, POST install, PUT use, DELETE remove; ACL keyring:read/write). */
export function consulKeyring(api: JsonApi): GossipKeyringApi {
  const op = (method: "POST" | "PUT" | "DELETE") => async (key: string) => {
    await api.send(method, "/v1/operator/keyring", { Key: key });
  };
  return {
    async list() {
      type Pool = { WAN: boolean; Datacenter: string; Keys: Record<string, number> | null; NumNodes: number };
      const pools = (await api.get<Pool[]>("/v1/operator/keyring")).body ?? [];
      return pools.map((p) => ({
        pool: p.WAN ? "WAN" : `${p.Datacenter} (LAN)`,
        keys: p.Keys ?? {},
        members: p.NumNodes,
      }));
    },
    install: op("POST"),
    use: op("PUT"),
    remove: op("DELETE"),
  };
}

/**
 * Nomad's `/v1/agent/keyring/<list|install|use|remove>` (command/agent/agent_endpoint.go KeyringOperationRequest):
 * servers only (a client agent answers 501), agent:write for every operation; one pool, the servers' Serf.
 */
export function nomadKeyring(api: JsonApi): GossipKeyringApi {
  type Response = {
    Messages: Record<string, string> | null;
    Keys: Record<string, number> | null;
    NumNodes: number;
  };
  const op = (name: "install" | "use" | "remove") => async (key: string) => {
    await api.send<Response>("PUT", `/v1/agent/keyring/${name}`, { Key: key });
  };
  return {
    async list() {
      const r = (await api.get<Response>("/v1/agent/keyring/list")).body;
      return [{ pool: "servers", keys: r.Keys ?? {}, members: r.NumNodes }];
    },
    install: op("install"),
    use: op("use"),
    remove: op("remove"),
  };
}

/** Whether every pool holds `key` alone, on every member: what a finished rotation leaves. */
export const onlyKeyEverywhere = (pools: readonly KeyringPool[], key: string) =>
  pools.length > 0 &&
  pools.every((p) => Object.keys(p.keys).length === 1 && p.keys[key] === p.members && p.members > 0);

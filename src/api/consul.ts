import { JsonApi } from "./http.js";
import { RaftApi } from "./raft.js";
import type { DispatcherRef } from "./undici.js";

export interface ConsulMember {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  /** Serf status: 1 alive, 2 leaving, 3 left, 4 failed. */
  Status: number;
}

export interface ConsulRaftServer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  ProtocolVersion: string;
}

const SERF_STATUS: Record<number, string> = { 0: "none", 1: "alive", 2: "leaving", 3: "left", 4: "failed" };

/** Serf's numeric member status as a word. */
export const consulMemberStatus = (s: number) => SERF_STATUS[s] ?? String(s);

/** One instance of a service with its node and checks (GET /v1/health/service/:name). */
export interface ConsulServiceHealth {
  Node: { Node: string; Address: string };
  Service: { ID: string; Service: string; Address: string; Port: number; Tags: string[] | null };
  Checks: {
    CheckID: string;
    Name: string;
    Status: "passing" | "warning" | "critical" | string;
    Output: string;
  }[];
}

/** The ACL token a Consul client sends (`X-Consul-Token`), read at each request; none when undefined. */
export type ConsulTokenSource = () => string | undefined;

/** The headers of a request made with the token `token` gives, if any. */
export const consulTokenHeaders = (token: ConsulTokenSource) => (): Record<string, string> => {
  const t = token();
  return t ? { "X-Consul-Token": t } : {};
};

/** The Consul HTTP API calls np makes (https://developer.hashicorp.com/consul/api-docs). */
export class ConsulApi extends RaftApi<ConsulRaftServer> {
  constructor(
    readonly origin: string,
    private readonly dispatcher: DispatcherRef,
    token: ConsulTokenSource = () => undefined,
  ) {
    super(new JsonApi("Consul", origin, dispatcher, consulTokenHeaders(token)));
  }

  /** The same API (origin, connection) as another token: np looks a token up as itself (token/self). */
  withToken(token: string): ConsulApi {
    return new ConsulApi(this.origin, this.dispatcher, () => token);
  }

  /** The same API (origin, connection) with the ACL endpoints np's bootstrap and token phases call. */
  get json(): JsonApi {
    return this.api;
  }

  async members(): Promise<ConsulMember[]> {
    return (await this.api.get<ConsulMember[]>("/v1/agent/members")).body;
  }

  /** Every key under `prefix` with its (base64) value; [] when there is none (Consul answers 404). */
  async kvList(prefix: string): Promise<{ Key: string; Value: string | null }[]> {
    const r = await this.api.get<{ Key: string; Value: string | null }[] | null>(
      `/v1/kv/${prefix.split("/").map(encodeURIComponent).join("/")}?recurse=true`,
      [404],
    );
    return r.status === 404 ? [] : (r.body ?? []);
  }

  /**
   * Every instance of a service with its checks, as a blocking query: held until the catalog passes `index`
   * (X-Consul-Index) or `waitSec` passes.
   */
  async serviceHealthIndexed(
    name: string,
    block: { index?: number; waitSec?: number; signal?: AbortSignal } = {},
  ): Promise<{ body: ConsulServiceHealth[]; index: number }> {
    const wait = block.waitSec ?? 60;
    const q = (block.index ?? 0) > 0 ? `?index=${block.index}&wait=${wait}s` : "";
    const r = await this.api.get<ConsulServiceHealth[]>(
      `/v1/health/service/${encodeURIComponent(name)}${q}`,
      {
        timeoutMs: wait * 1000 * (17 / 16) + 15_000,
        ...(block.signal && { signal: block.signal }),
      },
    );
    const header = r.headers["x-consul-index"];
    return { body: r.body, index: Number(Array.isArray(header) ? header[0] : header) || 0 };
  }

  /** Every instance of a service, with its node's and its own checks. */
  async serviceHealth(name: string): Promise<ConsulServiceHealth[]> {
    return (await this.api.get<ConsulServiceHealth[]>(`/v1/health/service/${encodeURIComponent(name)}`)).body;
  }
}

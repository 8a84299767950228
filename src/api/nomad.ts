import type { Dispatcher } from "undici";
import { ApiError, JsonApi } from "./http.js";
import { RaftApi } from "./raft.js";

export interface NomadMember {
  Name: string;
  Addr: string;
  Port: number;
  Status: string;
  Tags: Record<string, string>;
}

export interface NomadNodeStub {
  ID: string;
  Name: string;
  Address: string;
  Datacenter: string;
  NodeClass: string;
  Status: string;
  SchedulingEligibility: string;
  Version: string;
}

export interface NomadRaftServer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  RaftProtocol: string;
}

/** The Nomad HTTP API calls np makes (https://developer.hashicorp.com/nomad/api-docs). */
export class NomadApi extends RaftApi<NomadRaftServer> {
  constructor(origin: string, dispatcher: Dispatcher, token?: string) {
    super(new JsonApi("Nomad", origin, dispatcher, token ? { "X-Nomad-Token": token } : {}));
  }

  /**
   * "ip:4647" of the leader, or "" when there is none. Nomad answers a leaderless read with HTTP 500
   * "No cluster leader" after waiting a few seconds (only `?stale` reads give ""); both mean no leader.
   */
  override async leader(): Promise<string> {
    try {
      return await super.leader();
    } catch (err) {
      if (err instanceof ApiError && err.status === 500 && /No cluster leader/i.test(err.body)) return "";
      throw err;
    }
  }

  async members(): Promise<NomadMember[]> {
    return (await this.api.get<{ Members: NomadMember[] }>("/v1/agent/members")).body.Members;
  }

  async nodes(): Promise<NomadNodeStub[]> {
    return (await this.api.get<NomadNodeStub[]>("/v1/nodes")).body;
  }
}

import type { Dispatcher } from "undici";
import { ApiError, JsonApi } from "./http.js";

export interface NomadAutopilotHealth {
  Healthy: boolean;
  FailureTolerance: number;
  Leader?: string;
  Voters?: string[];
  /** Null while a new leader is being elected. */
  Servers:
    | null
    | {
        ID: string;
        Name: string;
        Address: string;
        SerfStatus: string;
        Version: string;
        Leader: boolean;
        Healthy: boolean;
        Voter: boolean;
      }[];
}

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

export interface NomadRaftConfiguration {
  Servers: {
    ID: string;
    Node: string;
    Address: string;
    Leader: boolean;
    Voter: boolean;
    RaftProtocol: string;
  }[];
  Index: number;
}

/** The Nomad HTTP API calls np makes (https://developer.hashicorp.com/nomad/api-docs). */
export class NomadApi {
  private readonly api: JsonApi;
  constructor(origin: string, dispatcher: Dispatcher, token?: string) {
    this.api = new JsonApi("Nomad", origin, dispatcher, token ? { "X-Nomad-Token": token } : {});
  }

  /**
   * "ip:4647" of the leader, or "" when there is none. Nomad answers a leaderless read with HTTP 500
   * "No cluster leader" after waiting a few seconds (only `?stale` reads give ""); both mean no leader.
   */
  async leader(): Promise<string> {
    try {
      return (await this.api.get<string>("/v1/status/leader")).body;
    } catch (err) {
      if (err instanceof ApiError && err.status === 500 && /No cluster leader/i.test(err.body)) return "";
      throw err;
    }
  }

  /** The Raft peers this server knows ("ip:4647"). */
  async peers(): Promise<string[]> {
    return (await this.api.get<string[]>("/v1/status/peers")).body;
  }

  /** Autopilot health; HTTP 429 means unhealthy and still carries the document. */
  async autopilotHealth(): Promise<NomadAutopilotHealth> {
    return (await this.api.get<NomadAutopilotHealth>("/v1/operator/autopilot/health", [429])).body;
  }

  async raftConfiguration(): Promise<NomadRaftConfiguration> {
    return (await this.api.get<NomadRaftConfiguration>("/v1/operator/raft/configuration")).body;
  }

  async members(): Promise<NomadMember[]> {
    return (await this.api.get<{ Members: NomadMember[] }>("/v1/agent/members")).body.Members;
  }

  async nodes(): Promise<NomadNodeStub[]> {
    return (await this.api.get<NomadNodeStub[]>("/v1/nodes")).body;
  }
}

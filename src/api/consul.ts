import type { Dispatcher } from "undici";
import { JsonApi } from "./http.js";

/** Consul's autopilot health; 1.8.7 omits the top-level Leader/Voters that Nomad has. */
export interface ConsulAutopilotHealth {
  Healthy: boolean;
  FailureTolerance: number;
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

export interface ConsulMember {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  /** Serf status: 1 alive, 2 leaving, 3 left, 4 failed. */
  Status: number;
}

export interface ConsulRaftConfiguration {
  Servers: {
    ID: string;
    Node: string;
    Address: string;
    Leader: boolean;
    Voter: boolean;
    ProtocolVersion: string;
  }[];
  Index: number;
}

const SERF_STATUS: Record<number, string> = { 0: "none", 1: "alive", 2: "leaving", 3: "left", 4: "failed" };

/** Serf's numeric member status as a word. */
export const consulMemberStatus = (s: number) => SERF_STATUS[s] ?? String(s);

/** The Consul HTTP API calls np makes (https://developer.hashicorp.com/consul/api-docs). */
export class ConsulApi {
  private readonly api: JsonApi;
  constructor(origin: string, dispatcher: Dispatcher) {
    this.api = new JsonApi("Consul", origin, dispatcher);
  }

  /** "ip:8300" of the leader, or "" when there is none. */
  async leader(): Promise<string> {
    return (await this.api.get<string>("/v1/status/leader")).body;
  }

  /** The Raft peers this server knows ("ip:8300"). */
  async peers(): Promise<string[]> {
    return (await this.api.get<string[]>("/v1/status/peers")).body;
  }

  /** Autopilot health; HTTP 429 means unhealthy and still carries the document. */
  async autopilotHealth(): Promise<ConsulAutopilotHealth> {
    return (await this.api.get<ConsulAutopilotHealth>("/v1/operator/autopilot/health", [429])).body;
  }

  async raftConfiguration(): Promise<ConsulRaftConfiguration> {
    return (await this.api.get<ConsulRaftConfiguration>("/v1/operator/raft/configuration")).body;
  }

  async members(): Promise<ConsulMember[]> {
    return (await this.api.get<ConsulMember[]>("/v1/agent/members")).body;
  }
}

import type { JsonApi } from "./http.js";

/** One server in autopilot health (same fields in Consul and Nomad). */
export interface AutopilotServer {
  ID: string;
  Name: string;
  Address: string;
  SerfStatus: string;
  Version: string;
  Leader: boolean;
  Healthy: boolean;
  Voter: boolean;
  /** When this server's health last changed (RFC 3339, the leader's clock). */
  StableSince?: string;
}

/** Autopilot health. Consul 1.8.7 omits the top-level Leader/Voters that Nomad has. */
export interface AutopilotHealth {
  Healthy: boolean;
  FailureTolerance: number;
  Leader?: string;
  Voters?: string[];
  /** Null while a new leader is being elected. */
  Servers: null | AutopilotServer[];
}

/**
 * The Raft status endpoints Consul and Nomad share (same paths and shapes): leader, peers, autopilot health and
 * the raft configuration, whose servers carry `ProtocolVersion` (Consul) or `RaftProtocol` (Nomad).
 */
export abstract class RaftApi<RaftServer> {
  protected constructor(protected readonly api: JsonApi) {}

  /** "ip:port" of the leader (Consul 8300, Nomad 4647), or "" when there is none. */
  async leader(): Promise<string> {
    return (await this.api.get<string>("/v1/status/leader")).body;
  }

  /** The Raft peers this server knows ("ip:port"). */
  async peers(): Promise<string[]> {
    return (await this.api.get<string[]>("/v1/status/peers")).body;
  }

  /** Autopilot health; HTTP 429 means unhealthy and still carries the document. */
  async autopilotHealth(): Promise<AutopilotHealth> {
    return (await this.api.get<AutopilotHealth>("/v1/operator/autopilot/health", [429])).body;
  }

  async raftConfiguration(): Promise<{ Servers: RaftServer[]; Index: number }> {
    return (await this.api.get<{ Servers: RaftServer[]; Index: number }>("/v1/operator/raft/configuration"))
      .body;
  }
}

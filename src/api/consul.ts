import type { Dispatcher } from "undici";
import { JsonApi } from "./http.js";
import { RaftApi } from "./raft.js";

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

/** The Consul HTTP API calls np makes (https://developer.hashicorp.com/consul/api-docs). */
export class ConsulApi extends RaftApi<ConsulRaftServer> {
  constructor(origin: string, dispatcher: Dispatcher) {
    super(new JsonApi("Consul", origin, dispatcher));
  }

  async members(): Promise<ConsulMember[]> {
    return (await this.api.get<ConsulMember[]>("/v1/agent/members")).body;
  }
}

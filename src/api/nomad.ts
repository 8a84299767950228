import type { Readable } from "node:stream";
import type {
  AllocationListStub,
  Deployment,
  JobPlanResponse,
  NodeListStub,
} from "../app/nomad-responses.js";
import { ApiError, JsonApi } from "./http.js";
import type {
  Evaluation,
  JobDeregisterResponse,
  JobListStub,
  JobRead,
  JobRegisterResponse,
  JobVersionsResponse,
} from "./nomad-types.js";
import { RaftApi } from "./raft.js";
import type { DispatcherRef } from "./undici.js";

export type * from "./nomad-types.js";

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
  Drain?: boolean;
  Drivers?: NodeListStub["Drivers"];
  Attributes?: NodeListStub["Attributes"];
}

export interface NomadRaftServer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  RaftProtocol: string;
}

/** A blocking query (https://developer.hashicorp.com/nomad/api-docs#blocking-queries): wait for `index` to pass. */
export interface Blocking {
  /** The X-Nomad-Index of the previous answer; 0 or absent answers at once. */
  index?: number;
  /** How long Nomad may hold the request (default 60 s; Nomad caps it at 10 min and adds up to 1/16 jitter). */
  waitSec?: number;
  signal?: AbortSignal;
}

/** A blocking query's answer and the index to pass to the next one. */
export interface Indexed<T> {
  body: T;
  index: number;
}

/** Which log of a task: `origin` end with `offset` counts bytes back from the end (Nomad's fs API). */
export interface LogRequest {
  task: string;
  type: "stdout" | "stderr";
  follow?: boolean;
  origin?: "start" | "end";
  offset?: number;
  /** Raw bytes instead of framed JSON. */
  plain?: boolean;
  signal?: AbortSignal;
}

const DEFAULT_WAIT_SEC = 60;
const path = (id: string) => encodeURIComponent(id);

/** The ACL token a Nomad client sends (`X-Nomad-Token`): fixed, or read at each request; none when undefined. */
export type NomadTokenSource = string | (() => string | undefined) | undefined;

const tokenHeaders = (token: NomadTokenSource) => (): Record<string, string> => {
  const t = typeof token === "function" ? token() : token;
  return t ? { "X-Nomad-Token": t } : {};
};

/** The Nomad HTTP API calls np makes (https://developer.hashicorp.com/nomad/api-docs). */
export class NomadApi extends RaftApi<NomadRaftServer> {
  constructor(
    readonly origin: string,
    private readonly dispatcher: DispatcherRef,
    token?: NomadTokenSource,
  ) {
    super(new JsonApi("Nomad", origin, dispatcher, tokenHeaders(token)));
  }

  /** The same API (origin, connection) as another token: np looks its own tokens up as themselves. */
  withToken(token: NomadTokenSource): NomadApi {
    return new NomadApi(this.origin, this.dispatcher, token);
  }

  /** The JSON client underneath, for the ACL endpoints (src/api/nomad-acl.ts). */
  get json(): JsonApi {
    return this.api;
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

  /** Client nodes with their drivers (Drivers is part of Nomad's node list stub). */
  async nodes(): Promise<NomadNodeStub[]> {
    return (await this.api.get<NomadNodeStub[]>("/v1/nodes")).body;
  }

  /** Every job, with its Meta (`meta=true`, Nomad 1.6+) so np can tell its own apps. */
  async jobs(): Promise<JobListStub[]> {
    return (await this.api.get<JobListStub[]>("/v1/jobs?meta=true")).body;
  }

  /** The job, or null when Nomad has none by that ID (404 "job not found"). */
  async job(id: string, block: Blocking = {}): Promise<Indexed<JobRead | null>> {
    const r = await this.read<JobRead | string>(`/v1/job/${path(id)}`, block, [404]);
    return { body: r.status === 404 ? null : (r.body as JobRead), index: r.index };
  }

  /** The job's versions, newest first (Nomad keeps a few). */
  async jobVersions(id: string): Promise<JobRead[]> {
    return (await this.api.get<JobVersionsResponse>(`/v1/job/${path(id)}/versions`)).body.Versions;
  }

  /** Runs the scheduler on `body` (planRequest) without changing anything. */
  async plan(id: string, body: unknown): Promise<JobPlanResponse> {
    return (await this.api.send<JobPlanResponse>("POST", `/v1/job/${path(id)}/plan`, body)).body;
  }

  /** Registers a job (registerRequest: check-and-set on JobModifyIndex). */
  async register(body: unknown): Promise<JobRegisterResponse> {
    return (await this.api.send<JobRegisterResponse>("POST", "/v1/jobs", body)).body;
  }

  async evaluation(id: string, block: Blocking = {}): Promise<Indexed<Evaluation>> {
    return this.read<Evaluation>(`/v1/evaluation/${path(id)}`, block);
  }

  async jobEvaluations(id: string): Promise<Evaluation[]> {
    return (await this.api.get<Evaluation[]>(`/v1/job/${path(id)}/evaluations`)).body;
  }

  /** The job's allocations, newest first. */
  async jobAllocations(id: string, block: Blocking = {}): Promise<Indexed<AllocationListStub[]>> {
    return this.read<AllocationListStub[]>(`/v1/job/${path(id)}/allocations`, block);
  }

  /** The job's latest deployment, or null when it has none (Nomad answers JSON null). */
  async latestDeployment(id: string, block: Blocking = {}): Promise<Indexed<Deployment | null>> {
    return this.read<Deployment | null>(`/v1/job/${path(id)}/deployment`, block);
  }

  /** The job's deployments, newest first. */
  async jobDeployments(id: string, block: Blocking = {}): Promise<Indexed<Deployment[]>> {
    return this.read<Deployment[]>(`/v1/job/${path(id)}/deployments`, block);
  }

  async deployment(id: string, block: Blocking = {}): Promise<Indexed<Deployment>> {
    return this.read<Deployment>(`/v1/deployment/${path(id)}`, block);
  }

  /** Sets a group's count (a new job version and an evaluation, like a register). */
  async scale(id: string, group: string, count: number, message: string): Promise<JobRegisterResponse> {
    const body = { Count: count, Target: { Group: group }, Message: message };
    return (await this.api.send<JobRegisterResponse>("POST", `/v1/job/${path(id)}/scale`, body)).body;
  }

  /** Registers version `version` of the job again, only if the job is still at `enforcePriorVersion`. */
  async revert(id: string, version: number, enforcePriorVersion: number): Promise<JobRegisterResponse> {
    const body = { JobID: id, JobVersion: version, EnforcePriorVersion: enforcePriorVersion };
    return (await this.api.send<JobRegisterResponse>("POST", `/v1/job/${path(id)}/revert`, body)).body;
  }

  /** Stops the job (and with `purge` forgets it and its versions). */
  async deregister(id: string, purge: boolean): Promise<JobDeregisterResponse> {
    const q = purge ? "?purge=true" : "";
    return (await this.api.send<JobDeregisterResponse>("DELETE", `/v1/job/${path(id)}${q}`)).body;
  }

  /**
   * A task's log (`GET /v1/client/fs/logs/:alloc`): framed JSON (see decodeLogFrames) or, with `plain`, raw bytes.
   * A followed stream stays open until the task is dead or the signal aborts.
   */
  async logs(allocId: string, req: LogRequest): Promise<Readable> {
    const q = new URLSearchParams({ task: req.task, type: req.type });
    if (req.follow) q.set("follow", "true");
    if (req.origin) q.set("origin", req.origin);
    if (req.offset !== undefined) q.set("offset", String(req.offset));
    if (req.plain) q.set("plain", "true");
    // A followed log is idle between lines; Nomad's heartbeat frames come every second.
    return this.api.stream(`/v1/client/fs/logs/${path(allocId)}?${q}`, {
      timeoutMs: req.follow ? 60_000 : 30_000,
      ...(req.signal && { signal: req.signal }),
    });
  }

  private async read<T>(
    p: string,
    block: Blocking,
    accept: number[] = [],
  ): Promise<Indexed<T> & { status: number }> {
    const wait = block.waitSec ?? DEFAULT_WAIT_SEC;
    const blocking = (block.index ?? 0) > 0;
    const sep = p.includes("?") ? "&" : "?";
    const url = blocking ? `${p}${sep}index=${block.index}&wait=${wait}s` : p;
    const r = await this.api.get<T>(url, {
      accept,
      // Nomad holds the request up to wait + wait/16: the timeout must outlast that.
      ...(blocking && { timeoutMs: wait * 1000 * (17 / 16) + 15_000 }),
      ...(block.signal && { signal: block.signal }),
    });
    const header = r.headers["x-nomad-index"];
    const index = Number(Array.isArray(header) ? header[0] : header) || 0;
    return { body: r.body, index, status: r.status };
  }
}

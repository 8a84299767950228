import type { Secret } from "./secret.js";

/**
 * The part of Nomad's job API (api/jobs.go, api/tasks.go, api/services.go at v1.10.5) np generates, with the
 * exact JSON keys. Durations are integer nanoseconds. Env values are Secrets until `revealSecrets` turns the
 * request into the body sent to Nomad.
 */

export interface NomadConstraint {
  LTarget: string;
  RTarget: string;
  Operand: string;
}

export interface NomadPort {
  Label: string;
  Value: number;
  To?: number;
}

export interface NomadService {
  Name: string;
  Provider: "consul";
  PortLabel: string;
  Tags: string[];
  Checks: {
    Name: string;
    Type: "http";
    Path: string;
    PortLabel: string;
    Interval: number;
    Timeout: number;
  }[];
}

export interface NomadTask {
  Name: string;
  Driver: "docker" | "exec" | "raw_exec";
  Config: { image: string; ports: string[] } | { command: string; args: string[] };
  Env: Record<string, Secret>;
  Resources: { CPU: number; MemoryMB: number };
  Artifacts?: { GetterSource: string; GetterOptions: { checksum: string }; RelativeDest: string }[];
}

export interface NomadUpdate {
  MaxParallel: number;
  HealthCheck: "checks";
  MinHealthyTime: number;
  HealthyDeadline: number;
  ProgressDeadline: number;
  AutoRevert: boolean;
  AutoPromote: boolean;
  Canary: number;
}

export interface NomadTaskGroup {
  Name: string;
  Count: number;
  Constraints?: NomadConstraint[];
  Update: NomadUpdate;
  Networks: { Mode: "host"; DynamicPorts: NomadPort[] }[];
  Services: NomadService[];
  ShutdownDelay: number;
  Tasks: NomadTask[];
}

export interface NomadJob {
  ID: string;
  Name: string;
  Type: "service";
  Region: string;
  Namespace: string;
  Datacenters: string[];
  Meta: Record<string, string>;
  TaskGroups: NomadTaskGroup[];
}

/** `POST /v1/jobs` (api.JobRegisterRequest). */
export interface JobRegisterRequest {
  Job: NomadJob;
  EnforceIndex: boolean;
  JobModifyIndex: number;
}

/** `POST /v1/job/:id/plan` (api.JobPlanRequest). */
export interface JobPlanRequest {
  Job: NomadJob;
  Diff: boolean;
}

/**
 * The parts of Nomad's job, evaluation, version and scale responses (api/*.go at v1.10.5) np's app commands read,
 * beside those the np.yaml helpers read (src/app/nomad-responses.ts). Nomad writes empty lists and maps as null.
 */
import type { AllocationMetric } from "../app/nomad-responses.js";

/** `POST /v1/jobs`, `/scale`, `/revert` (api.JobRegisterResponse). */
export interface JobRegisterResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Warnings?: string;
}

/** `DELETE /v1/job/:id` (api.JobDeregisterResponse). */
export interface JobDeregisterResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
}

/** An evaluation (api.Evaluation): `Status` pending | complete | failed | canceled | blocked. */
export interface Evaluation {
  ID: string;
  JobID: string;
  TriggeredBy: string;
  Status: string;
  StatusDescription?: string;
  DeploymentID?: string;
  BlockedEval?: string;
  FailedTGAllocs?: Record<string, AllocationMetric> | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A group's counts in a job summary. */
export interface GroupSummary {
  Queued: number;
  Complete: number;
  Failed: number;
  Running: number;
  Starting: number;
  Lost: number;
}

/** A job of `GET /v1/jobs?meta=true` (api.JobListStub). */
export interface JobListStub {
  ID: string;
  Name: string;
  Type: string;
  Stop: boolean;
  /** pending | running | dead */
  Status: string;
  Meta?: Record<string, string> | null;
  JobSummary?: { Summary?: Record<string, GroupSummary> | null } | null;
  JobModifyIndex: number;
  SubmitTime: number;
}

/** The parts of a job's service np reads back (its tags carry the Traefik router). */
export interface JobService {
  Name: string;
  Tags?: string[] | null;
  Checks?: { Path?: string }[] | null;
}

/** A job as `GET /v1/job/:id` and `/versions` return it (api.Job); Env values are never read for output. */
export interface JobRead {
  ID: string;
  Version: number;
  Stable: boolean;
  Stop: boolean;
  Status: string;
  SubmitTime: number;
  JobModifyIndex: number;
  Meta?: Record<string, string> | null;
  TaskGroups: {
    Name: string;
    Count: number;
    Services?: JobService[] | null;
    Tasks: { Name: string; Driver: string; Env?: Record<string, string> | null }[];
  }[];
}

/** `GET /v1/job/:id/versions`. */
export interface JobVersionsResponse {
  Versions: JobRead[];
}

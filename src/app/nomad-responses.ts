/**
 * The parts of Nomad's API responses (api/*.go at v1.10.5) the app helpers read. Nomad writes empty lists and
 * maps as null, so every collection may be null; the docs' samples even hold "..." placeholders in lists, which
 * the helpers skip.
 */

/** "None" | "Added" | "Deleted" | "Edited" (nomad/structs/diff.go). */
export type DiffType = string;

export interface FieldDiff {
  Type: DiffType;
  Name: string;
  Old: string;
  New: string;
  Annotations?: string[] | null;
}

export interface ObjectDiff {
  Type: DiffType;
  Name: string;
  Fields?: FieldDiff[] | null;
  Objects?: ObjectDiff[] | null;
}

export interface TaskDiff extends ObjectDiff {
  Annotations?: string[] | null;
}

export interface TaskGroupDiff extends ObjectDiff {
  Tasks?: TaskDiff[] | null;
  /** Counts by update type: "create", "destroy", "in-place update", "create/destroy update", "ignore", … */
  Updates?: Record<string, number> | null;
}

export interface JobDiff extends ObjectDiff {
  ID: string;
  TaskGroups?: TaskGroupDiff[] | null;
}

export interface DesiredUpdates {
  Ignore?: number;
  Place?: number;
  Migrate?: number;
  Stop?: number;
  InPlaceUpdate?: number;
  DestructiveUpdate?: number;
  Canary?: number;
  Preemptions?: number;
}

/** Why allocations of a group could not be placed (api.AllocationMetric). */
export interface AllocationMetric {
  NodesEvaluated?: number;
  NodesFiltered?: number;
  NodesInPool?: number;
  NodesAvailable?: Record<string, number> | null;
  ClassFiltered?: Record<string, number> | null;
  ConstraintFiltered?: Record<string, number> | null;
  NodesExhausted?: number;
  ClassExhausted?: Record<string, number> | null;
  DimensionExhausted?: Record<string, number> | null;
  QuotaExhausted?: string[] | null;
  CoalescedFailures?: number;
}

/** `POST /v1/job/:id/plan` response (api.JobPlanResponse). */
export interface JobPlanResponse {
  JobModifyIndex: number;
  Diff?: JobDiff | null;
  Annotations?: { DesiredTGUpdates?: Record<string, DesiredUpdates> | null } | null;
  FailedTGAllocs?: Record<string, AllocationMetric> | null;
  Warnings?: string;
}

/** A node of `GET /v1/nodes` (api.NodeListStub). */
export interface NodeListStub {
  ID: string;
  Name: string;
  Datacenter: string;
  NodeClass?: string;
  Status: string;
  SchedulingEligibility: string;
  Drain?: boolean;
  Attributes?: Record<string, string> | null;
  Drivers?: Record<string, { Detected: boolean; Healthy: boolean; HealthDescription?: string } | null> | null;
}

export interface TaskEvent {
  Type: string;
  Time: number;
  DisplayMessage?: string;
  Message?: string;
  FailsTask?: boolean;
}

/** An allocation of `GET /v1/job/:id/allocations` (api.AllocationListStub). */
export interface AllocationListStub {
  ID: string;
  Name: string;
  NodeName: string;
  JobVersion: number;
  TaskGroup: string;
  DesiredStatus: string;
  ClientStatus: string;
  ClientDescription?: string;
  TaskStates?: Record<
    string,
    { State: string; Failed: boolean; Restarts: number; Events?: TaskEvent[] | null }
  > | null;
  DeploymentStatus?: { Healthy?: boolean | null; Canary?: boolean } | null;
  CreateIndex?: number;
  ModifyTime?: number;
}

export interface DeploymentState {
  AutoRevert?: boolean;
  Promoted?: boolean;
  PlacedCanaries?: string[] | null;
  DesiredCanaries?: number;
  DesiredTotal?: number;
  PlacedAllocs?: number;
  HealthyAllocs?: number;
  UnhealthyAllocs?: number;
}

/** `GET /v1/deployment/:id` (api.Deployment). */
export interface Deployment {
  ID: string;
  JobID: string;
  JobVersion: number;
  /** running | paused | failed | successful | cancelled | initializing | pending | blocked | unblocking */
  Status: string;
  StatusDescription: string;
  TaskGroups?: Record<string, DeploymentState> | null;
}

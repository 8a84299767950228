/** Apps: np.yaml (schema → rules → normalize), the Nomad job np builds from it, and what the app commands print. */
export { buildJob, JOB_META, placementConstraints, planRequest, registerRequest } from "./build-job.js";
export { APP_DEFAULTS, PORT_LABEL, TRAEFIK } from "./defaults.js";
export {
  type DeploymentSummary,
  type InstanceProgress,
  summarizeDeployment,
} from "./deployment-summary.js";
export { checkDrivers, type DriverCheck } from "./driver-check.js";
export { formatDuration, parseDuration } from "./duration.js";
export { resolveAppEnv } from "./env.js";
export { type JobTarget, jobTargetOf } from "./job-target.js";
export type { JobPlanRequest, JobRegisterRequest, NomadJob } from "./job-types.js";
export { appJsonSchema } from "./json-schema.js";
export { type LoadedApp, loadApp, parseApp } from "./load.js";
export type * from "./nomad-responses.js";
export {
  explainPlacementFailures,
  formatPlacementFailures,
  type PlacementFailure,
} from "./placement-failures.js";
export { type RenderedPlan, renderPlan } from "./plan-diff.js";
export { revealSecrets, Secret } from "./secret.js";
export { appSpecHash } from "./spec-hash.js";
export { APP_FILE, APP_SCHEMA_FILE, APP_TEMPLATE, writeAppTemplate } from "./template.js";
export { appTag, serviceTags } from "./traefik-tags.js";
export type { AppDriver, AppSpec, EnvTemplate, SecretEnv } from "./types.js";

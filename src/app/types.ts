import type { Secret } from "./secret.js";

/** The Nomad task driver an app runs with. */
export type AppDriver = "docker" | "exec" | "raw_exec";

/** One env value of np.yaml as written (it may hold `${VAR}` references), and where it was written. */
export interface EnvTemplate {
  /** The text from np.yaml: secret, since a value may be written there literally. */
  template: Secret;
  /** `np.yaml:12:5`, for problems found when it is resolved at deploy time. */
  location: string;
}

/** The app's environment once resolved from the deployer's environment: every value secret. */
export type SecretEnv = Record<string, Secret>;

/** A validated, normalized np.yaml: defaults applied, durations in nanoseconds, keys camelCase. */
export interface AppSpec {
  /** np.yaml as named to the user (for messages). */
  file: string;
  name: string;
  driver: AppDriver;
  /** Set exactly when driver is docker. */
  image?: string;
  /** Set exactly when driver is exec or raw_exec. */
  command?: string;
  args: string[];
  artifact?: { url: string; checksum: string; destination: string };
  /** The port the app listens on inside its container; docker only. */
  port?: number;
  count: number;
  /** MHz */
  cpu: number;
  /** MB */
  memoryMb: number;
  env: Record<string, EnvTemplate>;
  healthCheck: { path: string; intervalNs: number; timeoutNs: number };
  domains: string[];
  update: {
    maxParallel: number;
    canary: number;
    autoPromote: boolean;
    autoRevert: boolean;
    minHealthyTimeNs: number;
    healthyDeadlineNs: number;
    progressDeadlineNs: number;
  };
  placement: { nodeClass?: string; labels: Record<string, string> };
  shutdownDelayNs: number;
}

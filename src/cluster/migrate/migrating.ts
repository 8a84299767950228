import {
  CONSUL_STAGE_WORDS,
  CONSUL_STAGES,
  type ConsulStage,
  consulSecurityAt,
} from "../../components/consul/migrate-stages.js";
import {
  NOMAD_STAGE_WORDS,
  NOMAD_STAGES,
  type NomadStage,
  nomadSecurityAt,
} from "../../components/nomad/migrate-stages.js";

/** The components whose security np migrates, each through its own stages. */
export type MigratingComponent = "consul" | "nomad";

/** A stage of one component. */
export type StageOf<C extends MigratingComponent> = C extends "consul" ? ConsulStage : NomadStage;

/** What the migration needs to know of a component, by name: pure data for the plan and the steps. */
export const MIGRATING: Record<
  MigratingComponent,
  {
    title: string;
    stages: readonly string[];
    words: Record<string, string>;
    /** The file whose TLS and ACL settings make the stage, and the unit that reads it. */
    file: string;
    unit: string;
    /** The settings of a stage by role, compared to tell whether a host's file changes at a step. */
    security: (stage: string, server: boolean) => unknown;
  }
> = {
  consul: {
    title: "Consul",
    stages: CONSUL_STAGES,
    words: CONSUL_STAGE_WORDS,
    file: "consul.hcl",
    unit: "consul",
    security: (stage, server) => consulSecurityAt(stage as ConsulStage, server),
  },
  nomad: {
    title: "Nomad",
    stages: NOMAD_STAGES,
    words: NOMAD_STAGE_WORDS,
    file: "nomad.hcl",
    unit: "nomad",
    security: (stage, server) => nomadSecurityAt(stage as NomadStage, server),
  },
};

/** The position of a component's stage in its migration. */
export const stageIndex = (c: MigratingComponent, stage: string) => MIGRATING[c].stages.indexOf(stage);

/** Every component's last stage (a fresh cluster's) is "secure". */
export const FINAL_STAGE = "secure";

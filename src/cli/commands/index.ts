import type { Command } from "commander";
import { registerArtifacts } from "./artifacts.js";
import { registerCheck } from "./check.js";
import { registerDeploy } from "./deploy.js";
import { registerInit } from "./init.js";
import { registerLogs } from "./logs.js";
import { registerNodes } from "./nodes.js";
import { registerOpen } from "./open.js";
import { registerPlan } from "./plan.js";
import { registerRollback } from "./rollback.js";
import { registerRotate } from "./rotate.js";
import { registerSandbox } from "./sandbox.js";
import { registerScale } from "./scale.js";
import { registerStatus } from "./status.js";
import { registerStop } from "./stop.js";
import { registerUnlock } from "./unlock.js";
import { registerUp } from "./up.js";
import { registerValidate } from "./validate.js";

/** A command adds itself to the program; it stays thin and calls a plain function with explicit arguments. */
export type RegisterCommand = (program: Command, signal: AbortSignal) => void;

/** Every command np has, in the order `np --help` lists them. Only commands that work are listed. */
export const commands: RegisterCommand[] = [
  registerInit,
  registerValidate,
  registerCheck,
  registerPlan,
  registerUp,
  registerStatus,
  registerNodes,
  registerDeploy,
  registerLogs,
  registerScale,
  registerRollback,
  registerStop,
  registerOpen,
  registerRotate,
  registerUnlock,
  registerArtifacts,
  registerSandbox,
];

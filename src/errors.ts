/**
 * Typed errors. Only the CLI (src/cli/run-cli.ts) catches them and turns them into an exit code:
 * 0 success, 1 the operation failed, 2 invalid input, 3 preflight refused the cluster.
 */
import { counted } from "./output/counted.js";

export type ExitCode = 1 | 2 | 3;

/** Base of every error np expects: the message is for the user, `hint` says what to do next. */
export abstract class NpError extends Error {
  abstract readonly exitCode: ExitCode;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The user's input is wrong: inventory, np.yaml or flags (exit 2). `problems` are printed one per line. */
export class InputError extends NpError {
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly problems: string[] = [],
    hint?: string,
  ) {
    super(message, hint);
  }
}

/** The operation was attempted and failed (exit 1). */
export class OperationError extends NpError {
  readonly exitCode: ExitCode = 1;
}

/** A failure on one remote host; `stderr` keeps the whole remote stderr, the message only its tail. */
export class HostError extends OperationError {
  constructor(
    readonly host: string,
    message: string,
    hint?: string,
    readonly stderr?: string,
  ) {
    super(`${host}: ${message}`, hint);
  }
}

/** Several hosts failed in one parallel step; each failure is listed with its host. */
export class HostsFailed extends OperationError {
  constructor(readonly failures: HostError[]) {
    super(
      `failed on ${counted(failures.length, "host")}:\n${failures
        .map((f) => ` - ${f.message}${f.hint ? `\n   ${f.hint}` : ""}`)
        .join("\n")}`,
    );
  }
}

/** Preflight refused at least one host (exit 3). */
export class PreflightRefused extends NpError {
  readonly exitCode = 3;
}

/** The user interrupted the run (Ctrl-C); remote work was stopped. */
export class Interrupted extends OperationError {
  constructor() {
    super("interrupted: remote commands were stopped and connections closed");
  }
}

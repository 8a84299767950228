/**
 * The output port: how np's lower layers (phases, preflight, the sandbox) talk to the user, without knowing the
 * CLI. The CLI implements it (src/cli/output.ts); tests and future front ends can implement it too.
 */

/** How np talks to the user: human lines on stderr/stdout, or JSON data on stdout with `--json`. */
export interface Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly color: boolean;
  /** True when stderr is a terminal (and not --json): spinners and live redraws only then. */
  readonly interactive: boolean;
  /** A line for the user (stdout). */
  info(message: string): void;
  /** A warning (stderr). */
  warn(message: string): void;
  /** An error line (stderr). */
  error(message: string): void;
  /** Detail shown only with --verbose (stderr). */
  debug(message: string): void;
  /** A line about one host; every per-host line starts with the host's name. */
  host(name: string, message: string): void;
  /** Machine-readable result (stdout), printed as JSON. */
  data(value: unknown): void;
  /** Colour helpers that degrade to plain text. */
  paint(style: "red" | "green" | "yellow" | "bold" | "dim", text: string): string;
  /**
   * Runs every host's work in parallel and shows its progress, one line per host. Never rejects because of a
   * host: whatever a host's work throws becomes that host's `failed` outcome, and the other hosts still finish.
   */
  hostProgress<T>(hosts: readonly string[], work: (host: string) => HostWork<T>): Promise<HostOutcomes<T>>;
  /**
   * A block that follows something long (a deployment): a title and lines beneath it (one per instance), redrawn
   * in place on a terminal; otherwise each title or line is printed when it changes. Nothing with --json.
   */
  liveLines(title: string): LiveLines;
}

/** A live block of lines (see Output.liveLines); `end` leaves its final state on screen. */
export interface LiveLines {
  update(title: string, lines: readonly string[]): void;
  end(ok: boolean, title: string, lines: readonly string[]): Promise<void>;
}

/** One host's work: `update` reports progress while it runs; `summary` is the host's final line. */
export type HostWork<T> = (update: (message: string) => void) => Promise<{ result: T; summary: string }>;

/** What one host's work ended with: its result, or the error it threw. */
export type HostOutcome<T> = { ok: true; result: T } | { ok: false; error: Error };

/** Every host's outcome, by host name; every host passed to `hostProgress` has one. */
export type HostOutcomes<T> = Map<string, HostOutcome<T>>;

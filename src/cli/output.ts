import { styleText } from "node:util";

/** How np talks to the user: human lines on stderr/stdout, or JSON data on stdout with `--json`. */
export interface Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly color: boolean;
  /** True when stderr is a terminal: spinners and live redraws only then. */
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
}

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Colour is on only for a terminal, and never with NO_COLOR or --no-color (https://no-color.org). */
export function wantsColor(flag: boolean | undefined, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return isTTY;
}

export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const interactive = Boolean(stderr.isTTY) && !options.json;
  const color = wantsColor(options.color, process.env, Boolean(stderr.isTTY));
  const paint: Output["paint"] = (style, text) =>
    color ? styleText(style, text, { validateStream: false }) : text;
  const line = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);
  // With --json, stdout carries only the JSON document; human lines move to stderr.
  const human = options.json ? stderr : stdout;
  return {
    json: Boolean(options.json),
    verbose: Boolean(options.verbose),
    color,
    interactive,
    info: (m) => line(human, m),
    warn: (m) => line(stderr, `${paint("yellow", "warning:")} ${m}`),
    error: (m) => line(stderr, `${paint("red", "error:")} ${m}`),
    debug: (m) => {
      if (options.verbose) line(stderr, paint("dim", m));
    },
    host: (name, m) => line(human, `${paint("bold", name)}: ${m}`),
    data: (v) => line(stdout, JSON.stringify(v, null, 2)),
    paint,
  };
}

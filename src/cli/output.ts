import { styleText } from "node:util";
import type { Output } from "../output/port.js";
import { runHostProgress } from "./host-progress.js";
import { liveLines } from "./live-lines.js";

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

/**
 * Whether np paints its output (https://no-color.org, https://force-color.org): never with --no-color or a
 * non-empty NO_COLOR; always with FORCE_COLOR set to anything but `0` or `false` (CI logs that render colours);
 * otherwise only when the output goes to a terminal.
 */
export function wantsColor(flag: boolean | undefined, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  return isTTY;
}

/** The CLI's implementation of the output port, on the process's stdout and stderr unless given others. */
export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const json = Boolean(options.json);
  const interactive = Boolean(stderr.isTTY) && !json;
  // Human lines go to stdout, or to stderr with --json: paint only when where they go is a terminal.
  const toTerminal = json ? Boolean(stderr.isTTY) : Boolean(stdout.isTTY) && Boolean(stderr.isTTY);
  const color = wantsColor(options.color, options.env ?? process.env, toTerminal);
  const paint: Output["paint"] = (style, text) =>
    color ? styleText(style, text, { validateStream: false }) : text;
  const line = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);
  // With --json, stdout carries only the JSON document; human lines move to stderr.
  const human = json ? stderr : stdout;
  const out: Output = {
    json,
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
    hostProgress: (hosts, work) => runHostProgress(out, { stdout, stderr }, hosts, work),
    liveLines: (title) => liveLines(out, { stdout, stderr }, title),
  };
  return out;
}

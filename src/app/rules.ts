// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is np.yaml's variable syntax, not a template
import { asMap } from "../inventory/raw-view.js";
import { didYouMean } from "../yaml-config/did-you-mean.js";
import { parseTemplate } from "../yaml-config/env-substitution.js";
import type { Problem } from "../yaml-config/problem.js";
import { allowedKeys } from "../yaml-config/schema-issues.js";
import { APP_DEFAULTS } from "./defaults.js";
import { formatDuration, parseDuration } from "./duration.js";
import { isNomadVariable } from "./patterns.js";
import { appSchema } from "./schema.js";

/** Rules that involve several keys of np.yaml; they read the parsed YAML leniently, beside schema problems. */
export function checkAppRules(raw: unknown): Problem[] {
  const app = asMap(raw);
  if (!app) return [];
  return [
    ...checkRunWith(app),
    ...checkUpdate(asMap(app.update)),
    ...checkDomains(app.domains),
    ...checkEnvSyntax(asMap(app.env)),
  ];
}

/** Exactly one of image (docker) or command (exec, raw_exec); port with image only; args with command only. */
function checkRunWith(app: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const hasImage = written(app, "image");
  const hasCommand = written(app, "command");
  if (hasImage && hasCommand)
    problems.push({
      path: ["command"],
      atKey: true,
      message: "set image (a container, run by docker) or command (a program, run by exec), not both",
    });
  if (!hasImage && !hasCommand)
    problems.push({
      path: [],
      message: "set image (a container image, run by docker) or command (a program, run by exec)",
    });
  if (hasImage && (app.driver === "exec" || app.driver === "raw_exec"))
    problems.push({
      path: ["driver"],
      message: `an image runs with the docker driver: remove driver, or run a command with ${app.driver}`,
    });
  if (hasCommand && app.driver === "docker")
    problems.push({ path: ["driver"], message: "docker runs an image: set image instead of command" });
  if (hasImage && !hasCommand && app.port === undefined)
    problems.push({
      path: ["port"],
      message: "is required with image: the port the app listens on inside its container",
    });
  if (hasCommand && !hasImage && app.port !== undefined)
    problems.push({
      path: ["port"],
      atKey: true,
      message: "is only for images: a command listens on the port Nomad gives it, in $NOMAD_PORT_http",
    });
  if (hasImage && !hasCommand && app.args !== undefined)
    problems.push({
      path: ["args"],
      atKey: true,
      message: "is only for command: an image runs its own entry point",
    });
  return problems;
}

/**
 * Whether np.yaml sets `key`, or a typo of it (`imgae`) already reported as an unknown key with this suggestion:
 * "set image or command" would then be noise.
 */
function written(app: Record<string, unknown>, key: string): boolean {
  if (app[key] !== undefined) return true;
  const known = allowedKeys(appSchema, []);
  return Object.keys(app).some((k) => !known.includes(k) && didYouMean(k, known) === key);
}

/** Nomad's own update rules: auto_promote needs canaries; min_healthy_time < healthy_deadline < progress_deadline. */
function checkUpdate(update: Record<string, unknown> | undefined): Problem[] {
  if (!update) return [];
  const problems: Problem[] = [];
  const canary = typeof update.canary === "number" ? update.canary : APP_DEFAULTS.update.canary;
  if (update.auto_promote === true && canary === 0)
    problems.push({ path: ["update", "auto_promote"], message: "needs update.canary of 1 or more" });
  const d = APP_DEFAULTS.update;
  const order = [
    ["min_healthy_time", d.minHealthyTime],
    ["healthy_deadline", d.healthyDeadline],
    ["progress_deadline", d.progressDeadline],
  ] as const;
  for (let i = 0; i + 1 < order.length; i++) {
    const [lowKey, lowDefault] = order[i] ?? order[0];
    const [highKey, highDefault] = order[i + 1] ?? order[0];
    const low = durationOf(update[lowKey], lowDefault);
    const high = durationOf(update[highKey], highDefault);
    if (low === undefined || high === undefined || low < high) continue;
    // Point at whichever of the two the user wrote (the later one when both).
    const at = update[highKey] !== undefined ? highKey : lowKey;
    const other = at === highKey ? lowKey : highKey;
    const otherValue = formatDuration(at === highKey ? low : high);
    const wrote = update[other] !== undefined ? "" : ", the default";
    problems.push({
      path: ["update", at],
      message:
        at === highKey
          ? `must be longer than update.${other} (${otherValue}${wrote})`
          : `must be shorter than update.${other} (${otherValue}${wrote})`,
    });
  }
  return problems;
}

function durationOf(value: unknown, fallback: string): number | undefined {
  if (value === undefined) return parseDuration(fallback);
  return typeof value === "string" ? parseDuration(value) : undefined;
}

/** A domain listed twice is a mistake (Traefik would get a rule `Host(a) || Host(a)`). */
function checkDomains(domains: unknown): Problem[] {
  if (!Array.isArray(domains)) return [];
  const seen = new Set<unknown>();
  const problems: Problem[] = [];
  domains.forEach((domain, i) => {
    if (seen.has(domain)) problems.push({ path: ["domains", i], message: `${domain} is listed twice` });
    seen.add(domain);
  });
  return problems;
}

/**
 * Env values are resolved at deploy time, but a malformed `${…}` can be reported now, at its line, in words
 * that do not quote the value (it is secret).
 */
function checkEnvSyntax(env: Record<string, unknown> | undefined): Problem[] {
  if (!env) return [];
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (typeof value !== "string") continue;
    for (const part of parseTemplate(value, { passThrough: isNomadVariable }).parts)
      if (part.kind === "error") problems.push({ path: ["env", key], message: ENV_SYNTAX[part.code] });
  }
  return problems;
}

const ENV_SYNTAX = {
  unterminated: 'has an unterminated "${" (close it with "}", or write "$$" for a literal "$")',
  invalid: 'has an invalid variable reference: use ${NAME} or ${NAME:-default} ("$$" for a literal "$")',
} as const;

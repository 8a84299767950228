import type { z } from "zod";
import { didYouMean } from "./did-you-mean.js";
import type { PathSegment, Problem } from "./problem.js";
import { show } from "./show.js";

/** Turns zod issues into problems a user can act on: typed messages, unknown keys with "did you mean". */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], root: z.ZodType): Problem[] {
  const problems: Problem[] = [];
  // A typo'd key shows up twice: as an unknown key and as a missing one. Report it once, as the typo.
  const suggested = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    const at = toPath(issue.path);
    const allowed = allowedKeys(root, at);
    for (const key of issue.keys) {
      const guess = didYouMean(key, allowed);
      if (guess) suggested.add(pathKey([...at, guess]));
      const hint = guess ? `did you mean "${guess}"?` : `allowed: ${allowed.join(", ")}`;
      problems.push({ path: [...at, key], atKey: true, message: `unknown key ${show(key)} (${hint})` });
    }
  }
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") continue;
    const path = toPath(issue.path);
    if (issue.code === "invalid_type" && issue.input === undefined && suggested.has(pathKey(path))) continue;
    if (issue.code === "invalid_key") {
      for (const inner of issue.issues) problems.push({ path, atKey: true, message: messageOf(inner) });
      continue;
    }
    problems.push({ path, message: messageOf(issue) });
  }
  return problems;
}

function messageOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return typeMessage(issue.expected, issue.input);
    case "invalid_value": {
      const values = issue.values.map(String);
      const guess = typeof issue.input === "string" ? didYouMean(issue.input, values) : undefined;
      return `${show(issue.input)} is not one of ${values.join(", ")}${guess ? ` (did you mean "${guess}"?)` : ""}`;
    }
    // A message given in the schema wins; zod's own ("Too small: …") are replaced by plainer ones.
    case "too_small":
      if (!issue.message.startsWith("Too small")) return issue.message;
      if (issue.origin === "array")
        return `must have at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
      if (issue.origin === "string") return "must not be empty";
      return `must be ${issue.inclusive ? "at least" : "greater than"} ${issue.minimum}, got ${show(issue.input)}`;
    case "too_big":
      if (!issue.message.startsWith("Too big")) return issue.message;
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      if (issue.origin === "array") return `must have at most ${issue.maximum} items`;
      return `must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}, got ${show(issue.input)}`;
    default:
      return issue.message;
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a map of keys",
  array: "a list",
};

function typeMessage(expected: string, input: unknown): string {
  const want = EXPECTED[expected] ?? expected;
  if (input === undefined) return "is required";
  if (input === null) return `has no value; expected ${want}`;
  if (expected === "int" && typeof input === "number") return `must be a whole number, got ${input}`;
  const got = Array.isArray(input)
    ? "a list"
    : typeof input === "object"
      ? "a map"
      : `the ${typeof input} ${show(input)}`;
  const quote = expected === "string" && (typeof input === "number" || typeof input === "boolean");
  const unquote = expected !== "string" && typeof input === "string" && /^(-?[\d.]+|true|false)$/.test(input);
  const hint = quote ? " (put the value in quotes)" : unquote ? " (remove the quotes)" : "";
  return `expected ${want}, got ${got}${hint}`;
}

function toPath(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((seg) => (typeof seg === "number" ? seg : String(seg)));
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
}

/** The keys the schema allows in the object at `path` (for "did you mean"). */
export function allowedKeys(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = root;
  for (const seg of [...path, undefined]) {
    // Unwrap optional/default/… wrappers until an object, array or record.
    for (let def = defOf(schema); def?.innerType || def?.in; def = defOf(schema))
      schema = def.innerType ?? def.in;
    const def = defOf(schema);
    if (seg === undefined) return def?.shape ? Object.keys(def.shape) : [];
    if (def?.shape) schema = def.shape[String(seg)];
    else schema = def?.element ?? def?.valueType;
  }
  return [];
}

function defOf(schema: z.ZodType | undefined): SchemaDef | undefined {
  return (schema as { _zod?: { def: SchemaDef } } | undefined)?._zod?.def;
}

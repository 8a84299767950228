import { type Document, isMap, isScalar, isSeq, Scalar } from "yaml";
import type { PathSegment, Problem } from "./problem.js";

/**
 * `${VAR}` and `${VAR:-default}` in string values, as k0sctl does; `$$` is a literal `$`.
 * Substitution happens on parsed scalars, never on the raw text, so positions stay right and a variable's
 * value can never add YAML structure. Keys are not substituted.
 */

/** How a config file uses variables (the inventory uses the defaults). */
export interface SubstitutionOptions {
  /**
   * References left as written, for another program to resolve (np.yaml passes Nomad's `${NOMAD_PORT_http}`
   * through to Nomad). `ref` is the text between `${` and `}`.
   */
  passThrough?: (ref: string) => boolean;
  /** Values not substituted here (np.yaml's `env`, resolved at deploy time). */
  skip?: (path: readonly PathSegment[]) => boolean;
}

/** One piece of a value: literal text, a variable to look up, or a reference that is not valid. */
export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "var"; name: string; fallback?: string }
  | { kind: "error"; code: "unterminated" | "invalid"; message: string };

/** A value split into its parts; `changed` says whether substitution can make it differ from the text. */
export interface ParsedTemplate {
  parts: TemplatePart[];
  changed: boolean;
}

/** Splits a value into literal text and variable references, without looking any variable up. */
export function parseTemplate(text: string, options: SubstitutionOptions = {}): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let literal = "";
  let changed = false;
  const flush = () => {
    if (literal !== "") parts.push({ kind: "text", text: literal });
    literal = "";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== "$" || (text[i + 1] !== "$" && text[i + 1] !== "{")) {
      literal += c;
      i++;
      continue;
    }
    if (text[i + 1] === "$") {
      literal += "$";
      changed = true;
      i += 2;
      continue;
    }
    const close = text.indexOf("}", i + 2);
    if (close < 0) {
      flush();
      parts.push({
        kind: "error",
        code: "unterminated",
        message: `unterminated "\${" (close it with "}", or write "$$" for a literal "$")`,
      });
      literal = text.slice(i);
      break;
    }
    const ref = text.slice(i + 2, close);
    i = close + 1;
    if (options.passThrough?.(ref)) {
      literal += `\${${ref}}`;
      continue;
    }
    changed = true;
    flush();
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(:-(.*))?$/s.exec(ref);
    if (!m) {
      parts.push({
        kind: "error",
        code: "invalid",
        message: `invalid variable reference "\${${ref}}": use \${NAME} or \${NAME:-default} ("$$" for a literal "$")`,
      });
    } else {
      const [, name = "", hasDefault, fallback = ""] = m;
      parts.push(hasDefault !== undefined ? { kind: "var", name, fallback } : { kind: "var", name });
    }
  }
  flush();
  return { parts, changed };
}

export interface Substituted {
  value: string;
  /** Whether the text contained a `${…}` reference. */
  changed: boolean;
  problems: string[];
}

/** Substitutes variable references in one string. */
export function substituteVariables(
  text: string,
  env: NodeJS.ProcessEnv,
  options: SubstitutionOptions = {},
): Substituted {
  const { parts, changed } = parseTemplate(text, options);
  let value = "";
  const problems: string[] = [];
  for (const part of parts) {
    if (part.kind === "text") value += part.text;
    else if (part.kind === "error") problems.push(part.message);
    else {
      const set = env[part.name];
      if (part.fallback !== undefined && (set === undefined || set === "")) value += part.fallback;
      else if (set !== undefined) value += set;
      else
        problems.push(
          `environment variable ${part.name} is not set (set it, or write \${${part.name}:-default})`,
        );
    }
  }
  return { value, changed, problems };
}

/** Substitutes variables in every string value of the document, in place; returns positioned problems. */
export function substituteInDocument(
  doc: Document.Parsed,
  env: NodeJS.ProcessEnv,
  options: SubstitutionOptions = {},
): Problem[] {
  const problems: Problem[] = [];
  const visit = (node: unknown, path: PathSegment[]) => {
    if (options.skip?.(path)) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key)) visit(pair.value, [...path, String(pair.key.value)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        visit(item, [...path, i]);
      });
    } else if (isScalar(node) && typeof node.value === "string" && node.value.includes("$")) {
      const r = substituteVariables(node.value, env, options);
      for (const message of r.problems) problems.push({ path, message });
      if (r.changed) node.value = node.type === Scalar.PLAIN ? typed(r.value) : r.value;
    }
  };
  visit(doc.contents, []);
  return problems;
}

/**
 * An unquoted value gets the type YAML would have given the substituted text (`port: ${SSH_PORT:-22}` is a
 * number), limited to numbers and booleans; quoted values stay strings.
 */
function typed(value: string): string | number | boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  if (/^[-+]?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

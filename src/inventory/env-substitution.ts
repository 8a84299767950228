import { type Document, isMap, isScalar, isSeq, Scalar } from "yaml";
import type { PathSegment, Problem } from "./problem.js";

/**
 * `${VAR}` and `${VAR:-default}` in string values, as k0sctl does; `$$` is a literal `$`.
 * Substitution happens on parsed scalars, never on the raw text, so positions stay right and a variable's
 * value can never add YAML structure. Keys are not substituted.
 */

export interface Substituted {
  value: string;
  /** Whether the text contained a `${…}` reference. */
  changed: boolean;
  problems: string[];
}

/** Substitutes variable references in one string. */
export function substituteVariables(text: string, env: NodeJS.ProcessEnv): Substituted {
  let value = "";
  let changed = false;
  const problems: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== "$" || (text[i + 1] !== "$" && text[i + 1] !== "{")) {
      value += c;
      i++;
      continue;
    }
    if (text[i + 1] === "$") {
      value += "$";
      changed = true;
      i += 2;
      continue;
    }
    const close = text.indexOf("}", i + 2);
    if (close < 0) {
      problems.push(`unterminated "\${" (close it with "}", or write "$$" for a literal "$")`);
      value += text.slice(i);
      break;
    }
    const ref = text.slice(i + 2, close);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(:-(.*))?$/s.exec(ref);
    changed = true;
    if (!m) {
      problems.push(
        `invalid variable reference "\${${ref}}": use \${NAME} or \${NAME:-default} ("$$" for a literal "$")`,
      );
    } else {
      const [, name = "", hasDefault, fallback = ""] = m;
      const set = env[name];
      if (hasDefault !== undefined && (set === undefined || set === "")) value += fallback;
      else if (set !== undefined) value += set;
      else problems.push(`environment variable ${name} is not set (set it, or write \${${name}:-default})`);
    }
    i = close + 1;
  }
  return { value, changed, problems };
}

/** Substitutes variables in every string value of the document, in place; returns positioned problems. */
export function substituteInDocument(doc: Document.Parsed, env: NodeJS.ProcessEnv): Problem[] {
  const problems: Problem[] = [];
  const visit = (node: unknown, path: PathSegment[]) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key)) visit(pair.value, [...path, String(pair.key.value)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        visit(item, [...path, i]);
      });
    } else if (isScalar(node) && typeof node.value === "string" && node.value.includes("$")) {
      const r = substituteVariables(node.value, env);
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

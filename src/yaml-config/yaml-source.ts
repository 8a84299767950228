import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { formatPath, type PathSegment, type Problem } from "./problem.js";
import { show } from "./show.js";

/** A config file's YAML text parsed with positions, so every problem can be reported as FILE:LINE:COL. */
export interface YamlSource {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** Syntax errors, duplicate keys and unresolved tags. */
  problems: Problem[];
  /** True when the text is not YAML at all (as opposed to valid YAML with duplicate keys). */
  malformed: boolean;
}

/** Parses YAML text, keeping positions; never throws. */
export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = [];
  let malformed = false;
  for (const e of doc.errors) {
    const dup = e.code === "DUPLICATE_KEY" ? findKeyAt(doc, e.pos[0]) : undefined;
    if (dup) {
      const message = `duplicate key ${show(dup.key)}: a key may appear once per map`;
      problems.push({ path: dup.path, atKey: true, offset: e.pos[0], message });
    } else {
      malformed = true;
      problems.push({ path: [], offset: e.pos[0], message: `invalid YAML: ${e.message}` });
    }
  }
  // Warnings are unresolved tags and the like: the value would not be what the user meant.
  for (const w of doc.warnings)
    problems.push({ path: [], offset: w.pos[0], message: `invalid YAML: ${w.message}` });
  return { doc, lineCounter, problems, malformed };
}

/** The node at `path` (or the deepest existing node on the way there) and its source offset. */
export function locate(source: YamlSource, problem: Problem): { line: number; col: number; offset: number } {
  const offset = problem.offset ?? offsetOf(source.doc, problem.path, problem.atKey ?? false);
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, col, offset };
}

/** Formats a problem as `FILE:LINE:COL path.to.key: message`. */
export function formatProblem(
  source: YamlSource,
  file: string,
  problem: Problem,
): { text: string; offset: number } {
  const { line, col, offset } = locate(source, problem);
  const where = problem.path.length > 0 ? ` ${formatPath(problem.path)}` : "";
  return { text: `${file}:${line}:${col}${where}: ${problem.message}`, offset };
}

function offsetOf(doc: Document.Parsed, path: PathSegment[], atKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [i, seg] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) break;
      const last = i === path.length - 1;
      next = last && atKey ? pair.key : (pair.value ?? pair.key);
    } else if (isSeq(node) && typeof seg === "number") {
      next = node.items[seg];
    }
    const start = rangeStart(next);
    if (start === undefined) break;
    node = next;
    offset = start;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return node && typeof node === "object" && "range" in node ? (node as Node).range?.[0] : undefined;
}

/** Finds the key that starts at `offset` and its path (for duplicate-key errors). */
function findKeyAt(doc: Document.Parsed, offset: number): { key: string; path: PathSegment[] } | undefined {
  const visit = (node: unknown, path: PathSegment[]): { key: string; path: PathSegment[] } | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (pair.key.range?.[0] === offset) return { key, path: [...path, key] };
        const found = visit(pair.value, [...path, key]);
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        const found = visit(item, [...path, i]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(doc.contents, []);
}

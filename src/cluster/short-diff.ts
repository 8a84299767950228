import { diff } from "node:util";

/** A short line diff (`-` old, `+` new) of a text file, at most `max` lines, for `np plan`. */
export function shortDiff(before: string, after: string, max = 20): string {
  const lines: string[] = [];
  // util.diff(actual, expected): 1 marks a line only in `actual` (removed), -1 a line only in `expected` (added).
  for (const [op, line] of diff(before.split("\n"), after.split("\n"))) {
    if (op === 0) continue;
    lines.push(`${op > 0 ? "-" : "+"} ${line}`);
  }
  if (lines.length > max)
    return [...lines.slice(0, max), `  … ${lines.length - max} more changed lines`].join("\n");
  return lines.join("\n");
}

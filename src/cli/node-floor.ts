/**
 * The oldest Node.js np runs on, as package.json "engines" says (a test keeps the two equal): undici 8 needs
 * 22.19; np itself needs 22.15 (`util.diff`).
 */
export const NODE_FLOOR = "22.19.0";

/** Whether a Node version (`22.14.0`, `v24.1.0`) is older than `floor`. */
export function isOlderNode(version: string, floor: string = NODE_FLOOR): boolean {
  const parts = (v: string) => v.replace(/^v/, "").split(".").map(Number);
  const have = parts(version);
  const need = parts(floor);
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a < b;
  }
  return false;
}

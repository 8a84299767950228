/** One thing wrong with a config file (inventory, np.yaml), before it is given a file position. */

/** A key (string) or list index (number) in a config file. */
export type PathSegment = string | number;

export interface Problem {
  /** Where in the file: `["hosts", 2, "roles", 0]`. */
  path: PathSegment[];
  message: string;
  /** Point at the key itself rather than its value (unknown or duplicate keys). */
  atKey?: boolean;
  /** Exact source offset, when known better than the path (YAML syntax errors). */
  offset?: number;
}

/** Formats a path the way users read it: `hosts[2].roles[0]`, `hosts[0].labels["odd key"]`. */
export function formatPath(path: PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

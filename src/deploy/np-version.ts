import { readFileSync } from "node:fs";

/** np's own version (package.json), recorded in the jobs it submits. */
export function npVersion(): string {
  // This module sits in src/deploy/ (a chunk in dist/cli/ once bundled): package.json is two levels up.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

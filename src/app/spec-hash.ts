import { createHash } from "node:crypto";
import type { AppSpec } from "./types.js";

/**
 * SHA-256 of the app spec, recorded in the job's Meta so `np status` can tell whether what runs is what
 * np.yaml says. Env values are left out (only their names count): a hash of a short secret could be guessed.
 */
export function appSpecHash(app: AppSpec): string {
  const { file: _file, env, ...rest } = app;
  const canonical = canonicalJson({ ...rest, env: Object.keys(env).toSorted() });
  return createHash("sha256").update(canonical).digest("hex");
}

/** JSON with object keys sorted, so the same spec always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

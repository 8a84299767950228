import { asMap } from "../inventory/raw-view.js";
import type { Problem } from "../yaml-config/problem.js";
import { APP_DEFAULTS } from "./defaults.js";
import { imageTag } from "./patterns.js";

/** Settings np accepts but that are probably not what the user wants (printed as warnings). */
export function appWarnings(raw: unknown): Problem[] {
  const app = asMap(raw) ?? {};
  const update = asMap(app.update) ?? {};
  const warnings: Problem[] = [];
  if (typeof app.image === "string") {
    const { tag, digest } = imageTag(app.image);
    if (!digest && (tag === "" || tag === "latest"))
      warnings.push({
        path: ["image"],
        message: `${tag === "" ? "has no tag, so Docker pulls latest" : "is tagged latest"}: a redeploy or rollback may not run the build you expect; pin a version tag`,
      });
  }
  const count = typeof app.count === "number" ? app.count : APP_DEFAULTS.count;
  const maxParallel =
    typeof update.max_parallel === "number" ? update.max_parallel : APP_DEFAULTS.update.maxParallel;
  const canary = typeof update.canary === "number" ? update.canary : APP_DEFAULTS.update.canary;
  if (count > 1 && maxParallel > count)
    warnings.push({
      path: ["update", "max_parallel"],
      message: `is greater than count (${maxParallel} > ${count}): a change replaces every instance at once`,
    });
  if (count === 1 && canary === 0)
    warnings.push({
      path: app.count === undefined ? [] : ["count"],
      message: `${app.count === undefined ? "count is 1 (the default)" : "is 1"}: during a redeploy no instance is healthy until the new one passes its check; for zero downtime set count: 2, or update.canary: 1 with update.auto_promote: true`,
    });
  return warnings;
}

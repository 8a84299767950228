import { PreflightRefused } from "../../errors.js";
import { judgeAcrossHosts, judgeHost } from "../../preflight/judge.js";
import { printCheckReport } from "../../preflight/report.js";
import { underCheck } from "../../preflight/under-check.js";
import type { Phase } from "../context.js";

/** Refuses the run before anything is installed when a host cannot carry its roles (same rules as `np check`). */
export const preflight: Phase = {
  title: "preflight",
  async run(ctx) {
    const verdicts = ctx.hosts.map((h) => judgeHost(underCheck(ctx.inv, h.spec), h.facts, h.clockOffsetMs));
    judgeAcrossHosts(verdicts);
    for (const v of verdicts) for (const w of v.warnings) ctx.out.warn(`${v.name} (${v.address}): ${w}`);
    const refused = verdicts.filter((v) => !v.ok);
    if (refused.length === 0) return;
    printCheckReport(ctx.out, verdicts);
    throw new PreflightRefused(
      `preflight refused ${refused.map((v) => v.name).join(", ")}; nothing was changed`,
      "fix the problems above and run again (`np check` runs preflight alone)",
    );
  },
};

import { OperationError, PreflightRefused } from "../../errors.js";
import { loadInventory } from "../../inventory/index.js";
import { counted } from "../../output/counted.js";
import { checkHosts } from "../../preflight/check.js";
import type { HostVerdict } from "../../preflight/judge.js";
import { printCheckReport } from "../../preflight/report.js";
import type { CommandContext } from "../context.js";

/** `np check`: exit 0 when every host passes, 3 when any is refused, 1 when a host cannot be reached. */
export async function check(ctx: CommandContext): Promise<HostVerdict[]> {
  const { inventory, warnings } = await loadInventory(ctx.inventoryPath);
  for (const w of warnings) ctx.out.warn(w);
  const verdicts = await checkHosts(inventory, ctx.out, ctx.signal);
  if (ctx.out.json) ctx.out.data({ ok: verdicts.every((v) => v.ok), hosts: verdicts });
  else printCheckReport(ctx.out, verdicts);
  const unreachable = verdicts.filter((v) => v.unreachable);
  const refused = verdicts.filter((v) => !v.ok && !v.unreachable);
  if (unreachable.length > 0) {
    throw new OperationError(
      `cannot reach ${counted(unreachable.length, "host")}: ${unreachable.map((v) => v.name).join(", ")}`,
    );
  }
  if (refused.length > 0) {
    throw new PreflightRefused(
      `preflight refused ${counted(refused.length, "host")}: ${refused.map((v) => v.name).join(", ")}`,
      "fix the problems above (or, knowingly, set preflight.overrides for a host) and run `np check` again",
    );
  }
  if (!ctx.out.json) ctx.out.info(`\nall ${verdicts.length} hosts passed preflight`);
  return verdicts;
}

import { didYouMean } from "../yaml-config/did-you-mean.js";
import type { Problem } from "../yaml-config/problem.js";
import { show } from "../yaml-config/show.js";
import { DNS_LABEL } from "./patterns.js";
import { asMap, type HostView } from "./raw-view.js";

/** artifacts.url is needed exactly for a mirror, artifacts.dir exactly for a local folder. */
export function checkArtifacts(raw: unknown): Problem[] {
  const artifacts = asMap(asMap(raw)?.artifacts);
  if (!artifacts) return [];
  const source = artifacts.source ?? "releases";
  if (source !== "releases" && source !== "mirror" && source !== "dir") return [];
  const problems: Problem[] = [];
  for (const [key, needs] of [
    ["url", "mirror"],
    ["dir", "dir"],
  ] as const) {
    const present = artifacts[key] !== undefined;
    if (source === needs && !present)
      problems.push({ path: ["artifacts", key], message: `is required when artifacts.source is "${needs}"` });
    if (source !== needs && present)
      problems.push({
        path: ["artifacts", key],
        atKey: true,
        message: `is only used when artifacts.source is "${needs}" (source is "${source}"): set source: ${needs} or remove ${key}`,
      });
  }
  return problems;
}

/** Each preflight override names a host of the inventory. */
export function checkOverrides(raw: unknown, hosts: HostView[]): Problem[] {
  const overrides = asMap(asMap(asMap(raw)?.preflight)?.overrides);
  if (!overrides) return [];
  const names = hosts.map((h) => h.name).filter((n): n is string => n !== undefined);
  return Object.keys(overrides)
    .filter((name) => !names.includes(name))
    .map((name) => {
      const shown = names.filter((n) => DNS_LABEL.test(n));
      const guess = didYouMean(name, shown);
      const hint = guess ? `did you mean "${guess}"?` : `hosts: ${shown.join(", ") || "none"}`;
      return {
        path: ["preflight", "overrides", name],
        atKey: true,
        message: `no host is named ${show(name)} (${hint})`,
      };
    });
}

/** The warning printed for each preflight override in use. */
export function overrideWarnings(raw: unknown): string[] {
  const overrides = asMap(asMap(asMap(raw)?.preflight)?.overrides) ?? {};
  return Object.entries(overrides).map(([name, value]) => {
    const o = asMap(value) ?? {};
    const parts = [
      o.memory_mb !== undefined ? `memory_mb ${o.memory_mb}` : undefined,
      o.cpu !== undefined ? `cpu ${o.cpu}` : undefined,
    ].filter(Boolean);
    return `preflight.overrides.${name}: minimums overridden (${parts.join(", ")}); preflight will use these instead of the role minimums`;
  });
}

/** Release versions such as "1.10.5" compared numerically ("1.10.0" is newer than "1.9.0"). */

/** Major, minor and patch of a version; a pre-release or build suffix ("-beta1", "+ent") is ignored. */
export function versionParts(version: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  if (!m) throw new TypeError(`not a release version: ${JSON.stringify(version)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const pa = versionParts(a);
  const pb = versionParts(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether this Consul reads `ui_config { enabled = true }` (added in 1.9; 1.8 only knows `ui = true`). */
export function consulHasUiConfig(consulVersion: string): boolean {
  return compareVersions(consulVersion, "1.9.0") >= 0;
}

/** Whether this Consul reads the `tls { defaults, internal_rpc, https }` stanza (added in 1.12; 1.8 rejects it). */
export function consulHasTlsStanza(consulVersion: string): boolean {
  return compareVersions(consulVersion, "1.12.0") >= 0;
}

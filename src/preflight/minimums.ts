/** RAM/CPU minimums per role, from architecture.txt. A node needs the sum over its roles plus Consul once. */

export type RoleName = "server" | "client" | "edge" | "observe";

export interface Minimum {
  memoryMb: number;
  cpu: number;
}

/** Consul runs on every node (server mode on servers, client mode elsewhere). */
export const CONSUL_MINIMUM: Minimum = { memoryMb: 128, cpu: 0.25 };

export const ROLE_MINIMUMS: Record<RoleName, Minimum> = {
  server: { memoryMb: 256, cpu: 0.5 },
  client: { memoryMb: 128, cpu: 0.5 },
  edge: { memoryMb: 64, cpu: 0.25 },
  observe: { memoryMb: 256, cpu: 1 },
};

/** The minimum for a node with these roles: Consul once plus each role. CPU is rounded to avoid 0.1+0.2 noise. */
export function minimumFor(roles: readonly RoleName[]): Minimum {
  let memoryMb = CONSUL_MINIMUM.memoryMb;
  let cpu = CONSUL_MINIMUM.cpu;
  for (const role of new Set(roles)) {
    memoryMb += ROLE_MINIMUMS[role].memoryMb;
    cpu += ROLE_MINIMUMS[role].cpu;
  }
  return { memoryMb, cpu: Math.round(cpu * 100) / 100 };
}

/** The minimum after explicit inventory overrides (each field independently). */
export function effectiveMinimum(
  roles: readonly RoleName[],
  override?: { memoryMb?: number; cpu?: number },
): Minimum {
  const base = minimumFor(roles);
  return { memoryMb: override?.memoryMb ?? base.memoryMb, cpu: override?.cpu ?? base.cpu };
}

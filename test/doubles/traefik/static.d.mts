// Types for the Traefik test double's static configuration (unit tests).
// biome-ignore-all lint/suspicious/noExplicitAny: the normalized configuration is untyped data
export const DEFAULT_INTERNAL_EP: string;
export function loadStaticFile(file: string): any;
export function normalizeStatic(raw: any): any;
export function defaultConfigFiles(env?: Record<string, string | undefined>): string[];

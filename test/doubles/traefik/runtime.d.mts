// Types for the Traefik test double's runtime builder (unit tests).
// biome-ignore-all lint/suspicious/noExplicitAny: configurations are untyped data
export function internalConfiguration(st: any): any;
export function defaultEntryPoints(st: any): string[];
export function buildRuntime(st: any, configs: Record<string, any>): any;

// Types for the Traefik test double's Consul Catalog helpers (unit tests).
// biome-ignore-all lint/suspicious/noExplicitAny: catalog items and configurations are untyped data
export const PROVIDER_NAME: string;
export function normalize(name: string): string;
export function tagsToLabels(tags: string[], prefix: string): Record<string, string>;
export function aggregatedStatus(checks: { CheckID: string; Status: string }[]): string;
export function buildConfiguration(cfg: any, items: any[], log: (...args: any[]) => void): any;
export function renderDefaultRule(
  template: string,
  item: { name: string; labels: Record<string, string> },
): string | null;
export function matchConstraints(tags: string[], expr: string): boolean;

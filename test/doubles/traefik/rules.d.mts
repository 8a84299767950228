// Types for the Traefik test double's rule matcher (unit tests).
export class RuleError extends Error {}
export interface RoutedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  canonicalHost: string;
  routingPath: string;
  query: URLSearchParams;
  remoteIp: string;
}
export function compileRule(rule: string): (req: RoutedRequest) => boolean;
export function routingPath(escapedPath: string): string;
export function canonicalHost(hostHeader: string | undefined): string;

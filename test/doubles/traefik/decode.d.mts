// Types for the parts of the Traefik test double that its unit tests import (the double is plain JavaScript).
// biome-ignore-all lint/suspicious/noExplicitAny: decoded configuration is untyped data
export class DecodeError extends Error {}
export const STATIC_KEYS: any;
export const DYNAMIC_KEYS: any;
export function decodeFile(data: unknown, tree: any, source: string): any;
export function decodeLabels(data: unknown, tree: any): any;
export function labelsToTree(labels: Record<string, string>, filters: string[]): any;
export function parseBool(v: unknown, name: string): boolean;
export function parseDuration(v: unknown, name: string): number;
export function parseList(v: unknown): string[];

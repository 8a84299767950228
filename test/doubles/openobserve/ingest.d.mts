// Types for the OpenObserve test double's ingestion helpers (unit tests).
export function formatStreamName(name: string): string;
export function formatKey(key: string): string;
export function flatten(value: unknown, maxLevel: number): Record<string, unknown>;
export function toMicros(n: number): number;
export function parseTimestamp(v: unknown): number;

// Types for the OpenObserve test double's SQL subset (unit tests).
// biome-ignore-all lint/suspicious/noExplicitAny: parsed queries and records are untyped data
export class UnsupportedSql extends Error {}
export function parseSql(sql: string): any;
export function runQuery(
  q: any,
  records: any[],
  range: { startTime: number; endTime: number; from: number; size: number },
): any[];

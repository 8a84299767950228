// Unit tests of np's OpenObserve double: key/stream name formatting, flattening, timestamps, the SQL subset and
// the root-user rules, each as OpenObserve v0.14.7 (or, where said, v0.91.0) has them.
import { describe, expect, it } from "vitest";
import {
  flatten,
  formatKey,
  formatStreamName,
  parseTimestamp,
  toMicros,
} from "../doubles/openobserve/ingest.mjs";
import { parseSql, runQuery, UnsupportedSql } from "../doubles/openobserve/search.mjs";
import { EMAIL_RE, rootUserProblem, strongPassword, versionAtLeast } from "../doubles/openobserve/users.mjs";

describe("ingestion helpers", () => {
  it("formats stream names and keys like format_stream_name and format_key", () => {
    expect(formatStreamName("My-App.logs")).toBe("my_app_logs");
    expect(formatStreamName("a::b")).toBe("a::b");
    expect(formatKey("@timestamp")).toBe("_timestamp");
    expect(formatKey("Nested.Key")).toBe("nested_key");
  });

  it("flattens nested objects to the flatten level, arrays as JSON text, nulls dropped", () => {
    expect(flatten({ a: { B: { c: 1 } }, list: [1, 2], n: null }, 3)).toEqual({ a_b_c: 1, list: "[1,2]" });
    expect(flatten({ a: { b: { c: { d: 1 } } } }, 2)).toEqual({ a_b: '{"c":{"d":1}}' });
    expect(flatten({ keep: null, x: 1 }, 3)).toEqual({ keep: null, x: 1 }); // the quick path keeps nulls
    expect(() => flatten([1], 3)).toThrow("flatten value must be an object");
  });

  it("reads timestamps in s, ms, µs, ns and as RFC 3339 with sub-millisecond digits", () => {
    expect(toMicros(1_700_000_000)).toBe(1_700_000_000_000_000);
    expect(toMicros(1_700_000_000_123)).toBe(1_700_000_000_123_000);
    expect(toMicros(1_700_000_000_123_456)).toBe(1_700_000_000_123_456);
    expect(toMicros(1_700_000_000_123_456_000)).toBe(1_700_000_000_123_456); // ns (a multiple of 256: exact in a double)
    expect(parseTimestamp("2024-01-02T03:04:05.123456Z")).toBe(
      Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 123_456,
    );
    expect(parseTimestamp("2024-01-02 03:04:05")).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) * 1000);
    expect(() => parseTimestamp(true)).toThrow("Invalid time format [type]");
  });
});

describe("the SQL subset of _search", () => {
  const records = [
    { _timestamp: 30, level: "info", host: "a", n: 3 },
    { _timestamp: 10, level: "error", host: "b", n: 1 },
    { _timestamp: 20, level: "info", host: "b", n: 2 },
  ];
  const range = { startTime: 0, endTime: 0, from: 0, size: 100 };
  const run = (sql: string, r = range) => runQuery(parseSql(sql), records, r);

  it("counts, filters with AND/OR/LIKE/IS NULL, orders by _timestamp DESC by default, limits", () => {
    expect(run('SELECT count(*) AS n FROM "s"')).toEqual([{ n: 3 }]);
    expect(run("SELECT count(*) FROM s WHERE level = 'info' AND host = 'b'")).toEqual([{ "count(*)": 1 }]);
    expect(run("SELECT count(*) FROM s WHERE level = 'error' OR n >= 3")).toEqual([{ "count(*)": 2 }]);
    expect(run("SELECT count(*) FROM s WHERE host LIKE 'b%' AND missing IS NULL")).toEqual([
      { "count(*)": 2 },
    ]);
    expect(run('SELECT n FROM "s"')).toEqual([{ n: 3 }, { n: 2 }, { n: 1 }]);
    expect(run('SELECT n FROM "s" ORDER BY n ASC LIMIT 2')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(run('SELECT * FROM "s"', { ...range, startTime: 15, endTime: 30 })).toEqual([records[2]]);
  });

  it("refuses SQL outside the subset instead of answering something", () => {
    expect(() => parseSql("SELECT host, count(*) FROM s GROUP BY host")).toThrow(UnsupportedSql);
    expect(() => parseSql("DELETE FROM s")).toThrow(UnsupportedSql);
  });
});

describe("root user rules", () => {
  it("uses upstream's unanchored email regex", () => {
    expect(EMAIL_RE.test("np-agent@np.invalid")).toBe(true);
    expect(EMAIL_RE.test("Root@Example.com")).toBe(false);
    expect(EMAIL_RE.test("root")).toBe(false);
  });

  it("panics only on an empty or invalid email or an empty password in 0.14.7, on a weak one from 0.91.0", () => {
    const cfg = (rootEmail: string, rootPassword: string) => ({ rootEmail, rootPassword });
    expect(rootUserProblem(cfg("root@example.com", "weak"), "0.14.7")).toBeNull();
    expect(rootUserProblem(cfg("", "x"), "0.14.7")?.line).toBe("src/job/mod.rs:63:13");
    expect(rootUserProblem(cfg("root@example.com", "weak"), "0.91.0")?.message).toMatch(
      /^ZO_ROOT_USER_PASSWORD is too weak/,
    );
    expect(strongPassword("Aa1!aaaa")).toBe(true);
    expect(strongPassword("Aa1aaaaa")).toBe(false);
    expect(versionAtLeast("v0.14.7", "0.91.0")).toBe(false);
  });
});

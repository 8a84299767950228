// OpenObserve TEST DOUBLE: log ingestion as v0.14.7 does it for `_json` and `_multi`
// (src/service/logs/ingest.rs ingest + handle_timestamp, config/src/utils/flatten.rs, config/src/utils/time.rs,
// config/src/utils/schema.rs format_stream_name). Pipelines, user-defined schemas, schema type casting and
// stream settings are not modelled.

/** format_stream_name: runs of characters outside [a-zA-Z0-9_:] become "_", then lower case. */
export function formatStreamName(name) {
  return name.replace(/[^a-zA-Z0-9_:]+/g, "_").toLowerCase();
}

/** flatten.rs format_key: lower case; every character that is not a lower-case letter, digit or "_" becomes "_". */
export function formatKey(key) {
  if (/^[a-z0-9_]*$/.test(key)) return key;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range test of upstream's is_ascii()
  if (/^[\x00-\x7f]*$/.test(key)) return key.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return [...key]
    .map((c) => (/\p{Ll}|\p{N}/u.test(c) ? c : /\p{Lu}/u.test(c) ? [...c.toLowerCase()][0] : "_"))
    .join("");
}

/** flatten_with_level: nested objects joined with "_" up to `maxLevel` (deeper ones and arrays as JSON text). */
export function flatten(value, maxLevel) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error("flatten value must be an object");
  }
  const entries = Object.entries(value);
  // The quick path keeps an object with no nested values as it is, nulls included, with formatted keys.
  if (!entries.some(([, v]) => v !== null && typeof v === "object")) {
    return Object.fromEntries(entries.map(([k, v]) => [formatKey(k), v]));
  }
  const out = {};
  const walk = (v, key, depth) => {
    if (v === null) return; // "we don't need to store null values"
    if (Array.isArray(v)) {
      if (v.length > 0) walk(JSON.stringify(v), key, depth);
    } else if (typeof v === "object") {
      const e = Object.entries(v);
      if (e.length === 0) return;
      if (maxLevel > 0 && depth >= maxLevel) return walk(JSON.stringify(v), key, depth);
      for (const [k, child] of e) walk(child, depth > 0 ? `${key}_${formatKey(k)}` : formatKey(k), depth + 1);
    } else out[key] = v;
  };
  walk(value, "", 0);
  return out;
}

const BASE_TIME = Date.UTC(1971, 0, 1); // time.rs BASE_TIME, ms

/** parse_i64_to_timestamp_micros: 0 is now; the unit (s, ms, µs, ns) is guessed from the magnitude. */
export function toMicros(n) {
  if (n === 0) return Date.now() * 1000;
  if (n > BASE_TIME * 1e6) return Math.trunc(n / 1000); // nanoseconds
  if (n > BASE_TIME * 1e3) return Math.trunc(n); // microseconds
  if (n > BASE_TIME) return Math.trunc(n * 1000); // milliseconds
  return Math.trunc(n * 1e6); // seconds
}

/** parse_timestamp_micro_from_value: a number, a numeric string or a date string (RFC 3339, RFC 2822, ...). */
export function parseTimestamp(v) {
  if (typeof v === "number") return toMicros(Math.trunc(v));
  if (typeof v !== "string") throw new Error("Invalid time format [type]");
  if (/^-?\d+$/.test(v)) return toMicros(Number(v));
  let ms;
  if (v.includes(" ") && v.length === 19) ms = Date.parse(`${v.replace(" ", "T")}Z`);
  else if (v.includes("T") && !v.includes(" ")) {
    ms = v.length === 19 ? Date.parse(`${v}Z`) : rfc3339Micros(v);
    if (v.length !== 19) return ms;
  } else ms = Date.parse(v); // RFC 2822
  if (!Number.isFinite(ms)) throw new Error("invalid time format [string]");
  return ms * 1000;
}

/** RFC 3339 with up to nanosecond fractions, to µs (Date.parse would drop the sub-millisecond digits). */
function rfc3339Micros(v) {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(v);
  if (!m) throw new Error("invalid time format [string]");
  const base = Date.parse(`${m[1]}${m[3].toUpperCase()}`);
  if (!Number.isFinite(base)) throw new Error("invalid time format [string]");
  return base * 1000 + Number((m[2] ?? "").padEnd(6, "0").slice(0, 6));
}

/**
 * Parses a request body into items (`_json`: an array, or one object; `_multi`: one JSON value per non-empty
 * line). Throws the error that becomes the 400 `{"code":400,"message":...}` response.
 */
export function parseBody(kind, text) {
  if (kind === "json") {
    const v = JSON.parse(text); // serde_json error → 400
    return Array.isArray(v) ? v : [v];
  }
  const items = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    items.push(JSON.parse(line));
  }
  return items;
}

/**
 * Ingests items into `stream` (already formatted) and returns the stream status of IngestionResponse:
 * { name, successful, failed, error? }. Records outside [now - upto, now + future] hours fail with upstream's text.
 */
export function ingest(store, cfg, org, stream, items) {
  const status = { name: stream, successful: 0, failed: 0 };
  const now = Date.now() * 1000;
  const minTs = now - cfg.ingestAllowedUptoHours * 3600e6;
  const maxTs = now + cfg.ingestAllowedInFutureHours * 3600e6;
  const records = [];
  for (const item of items) {
    const rec = flatten(item, cfg.flattenLevel); // throws → the whole request is a 400, like `?` upstream
    let ts;
    try {
      ts = "_timestamp" in rec ? parseTimestamp(rec._timestamp) : now;
    } catch {
      status.failed++;
      status.error = "Can't parse timestamp";
      continue;
    }
    if (ts < minTs) {
      status.failed++;
      status.error = `Too old data, only last ${cfg.ingestAllowedUptoHours} hours data can be ingested. Data discarded. You can adjust ingestion max time by setting the environment variable ZO_INGEST_ALLOWED_UPTO=<max_hours>`;
      continue;
    }
    if (ts > maxTs) {
      status.failed++;
      status.error = `Too far data, only future ${cfg.ingestAllowedInFutureHours} hours data can be ingested. Data discarded. You can adjust ingestion max time by setting the environment variable ZO_INGEST_ALLOWED_IN_FUTURE=<max_hours>`;
      continue;
    }
    rec._timestamp = ts;
    records.push(rec);
    status.successful++;
  }
  store.append(org, "logs", stream, records);
  if (status.error === undefined) delete status.error;
  return status;
}

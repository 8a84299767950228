import { unitName } from "../system/units.js";
import { decodeLine, MAX_LINE_BYTES } from "./lines.js";

/** A journal entry as shipped to the `np_journal` stream. */
export interface JournalRecord {
  _timestamp: number;
  node: string;
  unit: string;
  priority: number | null;
  pid: number | null;
  identifier: string;
  message: string;
  cursor: string;
  truncated?: true;
}

/** The fields asked of journalctl (it always adds __CURSOR and the timestamps). */
const FIELDS = ["MESSAGE", "PRIORITY", "_SYSTEMD_UNIT", "_PID", "SYSLOG_IDENTIFIER"];

/**
 * The journalctl command that prints, as JSON lines, the entries of the given units after the cursor, or, on a
 * first start without one, those of the current boot. `--all` keeps long and non-printable fields (the agent caps
 * and sanitizes them itself instead of getting null).
 */
export function journalctlArgv(units: string[], cursor: string | null): string[] {
  return [
    "journalctl",
    "--output=json",
    "--all",
    "--no-pager",
    "--quiet",
    `--output-fields=${FIELDS.join(",")}`,
    ...(cursor ? [`--after-cursor=${cursor}`] : ["--boot"]),
    ...units.flatMap((u) => ["--unit", unitName(u)]),
  ];
}

type Field = string | number[] | (string | number[])[] | null | undefined;

/** A journal field's value as text: journalctl gives binary values as byte arrays, repeated fields as a list. */
function fieldText(v: Field): { text: string; truncated: boolean } {
  if (v === null || v === undefined) return { text: "", truncated: false };
  if (typeof v === "string") {
    const b = Buffer.from(v, "utf8");
    return b.length > MAX_LINE_BYTES ? decodeLine(b, 0, b.length) : { text: v, truncated: false };
  }
  if (v.length > 0 && v.every((x) => typeof x === "number")) {
    const b = Buffer.from(v as number[]);
    const l = decodeLine(b, 0, b.length);
    return { text: l.text, truncated: l.truncated };
  }
  const parts = (v as (string | number[])[]).map((x) => fieldText(x));
  const joined = Buffer.from(parts.map((p) => p.text).join("\n"), "utf8");
  const l = decodeLine(joined, 0, joined.length);
  return { text: l.text, truncated: l.truncated || parts.some((p) => p.truncated) };
}

const first = (v: Field) => (Array.isArray(v) && typeof v[0] !== "number" ? (v[0] as Field) : v);

function numberField(v: Field): number | null {
  const f = first(v);
  const n = typeof f === "string" ? Number(f) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

/** Parses one `journalctl -o json` line into a record; throws on a line that is not a journal entry. */
export function parseJournalLine(line: string, node: string): JournalRecord {
  const e = JSON.parse(line) as Record<string, Field>;
  const cursor = e.__CURSOR;
  if (typeof cursor !== "string") throw new Error("journal entry without __CURSOR");
  const usec = Number(first(e.__REALTIME_TIMESTAMP));
  const msg = fieldText(e.MESSAGE);
  const unit = first(e._SYSTEMD_UNIT);
  const ident = first(e.SYSLOG_IDENTIFIER);
  return {
    _timestamp: Number.isFinite(usec) ? usec : Date.now() * 1000,
    node,
    unit: typeof unit === "string" ? unit : "",
    priority: numberField(e.PRIORITY),
    pid: numberField(e._PID),
    identifier: typeof ident === "string" ? ident : "",
    message: msg.text,
    cursor,
    ...(msg.truncated ? { truncated: true as const } : {}),
  };
}

/**
 * A journal line too long to hold (the agent reads at most MAX_JSON_LINE of one): journalctl prints __CURSOR and
 * __REALTIME_TIMESTAMP first, so they are taken from the head and the entry is shipped as a marked stub.
 */
export function stubFromHead(head: string, node: string, length: number): JournalRecord | null {
  const cursor = /"__CURSOR"\s*:\s*"([^"]+)"/.exec(head)?.[1];
  if (!cursor) return null;
  const usec = Number(/"__REALTIME_TIMESTAMP"\s*:\s*"(\d+)"/.exec(head)?.[1]);
  const unit = /"_SYSTEMD_UNIT"\s*:\s*"([^"]*)"/.exec(head)?.[1] ?? "";
  return {
    _timestamp: Number.isFinite(usec) ? usec : Date.now() * 1000,
    node,
    unit,
    priority: null,
    pid: null,
    identifier: "",
    message: `[np-agent: journal entry of more than ${length} bytes not shipped]`,
    cursor,
    truncated: true,
  };
}

/** The longest journalctl output line the agent holds in memory. */
export const MAX_JSON_LINE = 1024 * 1024;

import { existsSync } from "node:fs";
import path from "node:path";
import { JsonApi } from "../api/http.js";
import type { DispatcherRef } from "../api/undici.js";
import { OPENOBSERVE, ROOT_SECRET, rootEmail } from "../components/openobserve/index.js";
import { OperationError } from "../errors.js";
import type { Inventory } from "../inventory/index.js";
import { SecretStore } from "../secrets/index.js";

/** The stream np-agent ships Nomad's task logs to, and the fields of its records. */
export const LOG_STREAM = "nomad_logs";

/** One log record of the `nomad_logs` stream. */
export interface LogRecord {
  _timestamp: number;
  alloc_id: string;
  node: string;
  job: string;
  group?: string;
  task: string;
  stream: string;
  message: string;
}

/** What to read back: one job's task stream over a time window (µs). */
export interface LogQuery {
  job: string;
  task?: string;
  stream: "stdout" | "stderr";
  startUs: number;
  endUs: number;
  limit: number;
}

/** OpenObserve's search, as far as `np logs --since` needs it. */
export interface LogSearch {
  search(q: LogQuery): Promise<LogRecord[]>;
}

/** A SQL string literal ('' doubles a quote). */
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * The `_search` body of a query: the newest `limit` records of the window (so a long window keeps its end),
 * which the caller prints oldest first.
 */
export function logSearchBody(q: LogQuery): { query: Record<string, unknown> } {
  const where = [`job = ${literal(q.job)}`, `stream = ${literal(q.stream)}`];
  if (q.task) where.push(`task = ${literal(q.task)}`);
  return {
    query: {
      sql: `SELECT * FROM "${LOG_STREAM}" WHERE ${where.join(" AND ")} ORDER BY _timestamp DESC LIMIT ${q.limit}`,
      start_time: q.startUs,
      end_time: q.endUs,
      from: 0,
      size: q.limit,
    },
  };
}

/** OpenObserve's `_search` with the root user's credentials (`.np/secrets/openobserve-root`). */
export function openobserveSearchOver(inv: Inventory, origin: string, dispatcher: DispatcherRef): LogSearch {
  const file = new SecretStore(path.join(inv.dir, ".np")).fileOf(ROOT_SECRET.name);
  return {
    async search(q) {
      if (!existsSync(file))
        throw new OperationError(
          `no OpenObserve password in ${file}`,
          "run `np up`: it sets up OpenObserve and keeps its root password there",
        );
      const store = new SecretStore(path.join(inv.dir, ".np"));
      const password = (await store.load([ROOT_SECRET])).get(ROOT_SECRET.name).reveal();
      const auth = Buffer.from(`${rootEmail(inv)}:${password}`).toString("base64");
      const api = new JsonApi("OpenObserve", origin, dispatcher, { authorization: `Basic ${auth}` });
      return searchLogs(api, OPENOBSERVE.org, q);
    },
  };
}

/** Runs the query on an OpenObserve API client and returns the records oldest first. */
export async function searchLogs(api: JsonApi, org: string, q: LogQuery): Promise<LogRecord[]> {
  const r = await api.send<{ hits?: LogRecord[] }>("POST", `/api/${org}/_search`, logSearchBody(q));
  return (r.body.hits ?? []).toSorted((a, b) => a._timestamp - b._timestamp);
}

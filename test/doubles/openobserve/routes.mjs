// OpenObserve TEST DOUBLE: the HTTP routes the double answers, with v0.14.7's status codes and bodies
// (src/handler/http/router/mod.rs get_basic_routes / get_service_routes and the handlers they name).
import os from "node:os";
import { authenticate } from "./auth.mjs";
import { formatStreamName, ingest, parseBody } from "./ingest.mjs";
import { parseSql, runQuery, UnsupportedSql } from "./search.mjs";
import { DEFAULT_ORG, EMAIL_RE, isRoot, membership, newUser, OSS_ROLES, randomString } from "./users.mjs";

const JSON_TYPE = "application/json";
/** meta::http::HttpResponse { code, message } (message() and error() serialize the same). */
const meta = (code, message) => ({ code, message });

/** Builds the request handler for a store and config. */
export function makeHandler(store, cfg) {
  const node = (cfg.instanceName || os.hostname()).split(".")[0];
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://double");
    const send = (status, body, type = JSON_TYPE, headers = {}) => {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text), ...headers });
      res.end(req.method === "HEAD" ? undefined : text);
    };
    try {
      const body = await readBody(req, cfg.payloadLimit);
      if (url.pathname === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
        // status.rs healthz: {"status":"ok"}; the HEAD route answers 200 with no body.
        return req.method === "HEAD" ? send(200, "", JSON_TYPE) : send(200, { status: "ok" });
      }
      if (url.pathname.startsWith("/np-double/v1/")) return doubleOnly(store, url, send);
      if (!url.pathname.startsWith("/api/")) return send(404, "", "text/plain");
      const rel = url.pathname.slice("/api/".length);
      const apiHeaders = { "x-api-node": node };
      const auth = authenticate(store, req.headers.authorization, rel);
      if (!auth.ok) return send(auth.status, auth.body, "text/plain; charset=utf-8", apiHeaders);
      const reply = (status, b, type) => send(status, b, type, apiHeaders);
      return api(store, cfg, auth, req.method, rel.split("/"), url, body, req.headers["content-type"], reply);
    } catch (err) {
      if (err instanceof PayloadTooLarge) return send(413, "", "text/plain");
      return send(500, meta(500, String(err?.message ?? err)));
    }
  };
}

function api(store, cfg, auth, method, parts, url, body, contentType, reply) {
  const [org, a, b] = parts;
  if (parts.length === 3 && method === "POST" && (b === "_json" || b === "_multi")) {
    let items;
    try {
      items = parseBody(b === "_json" ? "json" : "multi", body.toString("utf8"));
    } catch (e) {
      return reply(400, meta(400, b === "_multi" ? `Failed processing: ${serdeText(e)}` : serdeText(e)));
    }
    try {
      const status = ingest(store, cfg, org, formatStreamName(a), items);
      return reply(200, { code: 200, status: [status] });
    } catch (e) {
      return reply(400, meta(400, e.message));
    }
  }
  if (parts.length === 2 && method === "POST" && a === "_search")
    return search(store, cfg, org, url, body, reply);
  if (parts.length === 2 && method === "GET" && a === "streams")
    return reply(200, listStreams(store, org, url));
  if (parts.length === 2 && a === "users" && method === "GET") return reply(200, listUsers(store, org));
  if (parts.length === 2 && a === "users" && method === "POST") {
    const json = jsonBody(body, contentType, ["email", "password", "role"]);
    if (json.error) return reply(400, json.error, "text/plain; charset=utf-8");
    if (json.value.role === "root") return reply(400, meta(400, "Not allowed"));
    // users/mod.rs save: the open-source build makes every user an admin, whatever role was asked.
    return createUser(store, org, { ...json.value, role: "admin" }, auth, reply);
  }
  if (parts.length === 2 && a === "passcode" && (method === "GET" || method === "PUT")) {
    return passcode(store, auth, isRoot(store, auth.email) ? DEFAULT_ORG : org, method === "PUT", reply);
  }
  if (parts.length === 2 && a === "service_accounts" && method === "POST") {
    const json = jsonBody(body, contentType, ["email"]);
    if (json.error) return reply(400, json.error, "text/plain; charset=utf-8");
    const v = json.value;
    const sa = {
      email: String(v.email).trim(),
      first_name: v.first_name ?? "",
      last_name: v.last_name ?? "",
    };
    return createUser(
      store,
      org,
      { ...sa, password: randomString(16), role: "service_account" },
      auth,
      reply,
    );
  }
  if (parts.length === 3 && a === "service_accounts" && method === "GET") {
    // service_accounts/mod.rs get_api_token: the passcode of any user of the org, by email.
    const m = membership(store.user(decodeURIComponent(b)), org);
    if (!m) return reply(404, meta(404, "User not found"));
    return reply(200, { token: m.token, user: decodeURIComponent(b) });
  }
  return reply(404, "", "text/plain");
}

/** users::post_user. */
function createUser(store, org, req, auth, reply) {
  const email = String(req.email).trim();
  if (!EMAIL_RE.test(email)) return reply(400, meta(400, "Invalid email"));
  const initiator = isRoot(store, auth.email) ? "root" : membership(store.user(auth.email), org)?.role;
  if (initiator === undefined) return reply(401, meta(401, "Not Allowed"));
  if (initiator !== "root" && initiator !== "admin") return reply(403, meta(403, "Not Allowed"));
  if (store.user(email)) return reply(400, meta(400, "User already exists"));
  const orgName = org.replaceAll(" ", "_");
  const user = { email, firstName: req.first_name ?? "", lastName: req.last_name ?? "", role: req.role };
  store.addUser(newUser({ ...user, password: String(req.password), org: orgName }));
  return reply(200, meta(200, "User saved successfully"));
}

function passcode(store, auth, org, rotate, reply) {
  const user = store.user(auth.email);
  const m = membership(user, org);
  if (!m) return reply(404, meta(404, "User not found"));
  if (rotate) {
    m.token = randomString(16);
    store.saveUsers();
  }
  return reply(200, { data: { passcode: m.token, user: user.email } });
}

function listUsers(store, org) {
  const data = store.users
    .filter((u) => {
      const m = membership(u, org);
      return m && m.role !== "service_account";
    })
    .map((u) => ({
      email: u.email,
      first_name: u.first_name,
      last_name: u.last_name,
      role: membership(u, org).role,
      is_external: u.is_external,
    }));
  return { data };
}

function listStreams(store, org, url) {
  const type = url.searchParams.get("type") ?? undefined;
  const list = store
    .streamsOf(org, type)
    .sort((x, y) => (x.name < y.name ? -1 : 1))
    .map((s) => {
      const ts = s.records.map((r) => r._timestamp);
      const fields = new Set(s.records.flatMap((r) => Object.keys(r)));
      const size = s.records.reduce((n, r) => n + JSON.stringify(r).length, 0);
      return {
        name: s.name,
        storage_type: "disk",
        stream_type: s.type,
        stats: {
          created_at: s.createdAt,
          doc_time_min: ts.length ? Math.min(...ts) : 0,
          doc_time_max: ts.length ? Math.max(...ts) : 0,
          doc_num: s.records.length,
          file_num: 0,
          storage_size: size / 1024 / 1024,
          compressed_size: 0,
          index_size: 0,
        },
        settings: streamSettings(),
        total_fields: fields.size,
      };
    });
  return { list, total: list.length };
}

/** StreamSettings' hand-written Serialize (config/src/meta/stream.rs), defaults. */
function streamSettings() {
  return {
    partition_time_level: "unset",
    partition_keys: {},
    full_text_search_keys: [],
    index_fields: [],
    bloom_filter_fields: [],
    distinct_value_fields: [],
    data_retention: 0,
    max_query_range: 0,
    store_original_data: false,
    approx_partition: false,
    index_updated_at: 0,
    extended_retention_days: [],
    index_original_data: false,
    index_all_values: false,
  };
}

function search(store, cfg, org, url, body, reply) {
  const started = Date.now();
  let req;
  try {
    req = JSON.parse(body.toString("utf8"));
    if (typeof req?.query?.sql !== "string") throw new Error("missing field `sql`");
  } catch (e) {
    return reply(400, meta(400, serdeText(e)));
  }
  const q = req.query;
  const from = Number(q.from ?? 0);
  const size = Number(q.size ?? cfg.queryDefaultLimit);
  let parsed;
  try {
    parsed = parseSql(q.sql);
  } catch (e) {
    if (!(e instanceof UnsupportedSql)) throw e;
    return reply(400, {
      code: 20001,
      message: "Search SQL not valid",
      error_detail: `np double: ${e.message}`,
    });
  }
  const res = baseResponse(from, size);
  const type = url.searchParams.get("type") ?? "logs";
  const stream = store.stream(org, type, parsed.stream);
  if (!stream) {
    // cluster/http.rs search: a stream with no schema answers an empty, partial result.
    res.function_error = [`Stream not found ${parsed.stream}`];
    res.is_partial = true;
  } else {
    const range = { startTime: Number(q.start_time ?? 0), endTime: Number(q.end_time ?? 0), from, size };
    res.hits = runQuery(parsed, stream.records, range);
    res.total = res.hits.length;
    res.scan_records = stream.records.length;
  }
  res.took = Date.now() - started;
  res.took_detail.total = res.took;
  return reply(200, res);
}

/** config/src/meta/search.rs Response::new and its serialized fields. */
function baseResponse(from, size) {
  return {
    took: 0,
    took_detail: {
      total: 0,
      cache_took: 0,
      file_list_took: 0,
      wait_in_queue: 0,
      idx_took: 0,
      search_took: 0,
    },
    hits: [],
    total: 0,
    from,
    size,
    cached_ratio: 0,
    scan_size: 0,
    idx_scan_size: 0,
    scan_records: 0,
    trace_id: randomString(32).toLowerCase(),
    is_partial: false,
    result_cache_ratio: 0,
  };
}

/** actix web::Json: a JSON content type is required, then serde errors are 400 text "Json deserialize error: ...". */
function jsonBody(body, contentType, required) {
  const mime = String(contentType ?? "")
    .split(";")[0]
    .trim()
    .toLowerCase();
  if (!(mime === "application/json" || mime.endsWith("+json"))) return { error: "Content type error" };
  const text = body.toString("utf8");
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `Json deserialize error: ${serdeText(e)}` };
  }
  const end = `at line 1 column ${text.trimEnd().length}`;
  for (const f of required) {
    if (value?.[f] === undefined) return { error: `Json deserialize error: missing field \`${f}\` ${end}` };
  }
  if (value.role !== undefined && !OSS_ROLES.includes(value.role)) {
    const expected = OSS_ROLES.map((r) => `\`${r}\``).join(", ");
    return {
      error: `Json deserialize error: unknown variant \`${value.role}\`, expected one of ${expected} ${end}`,
    };
  }
  return { value };
}

/** A serde_json-like message for a JSON.parse error ("expected value at line L column C"). */
function serdeText(e) {
  if (!(e instanceof SyntaxError)) return e.message;
  return `expected value at line 1 column ${Number(/position (\d+)/.exec(e.message)?.[1] ?? 0) + 1}`;
}

/** Double-only (never in OpenObserve): GET /np-double/v1/records?org=&stream=[&type=] for exact counts in tests. */
function doubleOnly(store, url, send) {
  if (url.pathname !== "/np-double/v1/records") return send(404, "", "text/plain");
  const org = url.searchParams.get("org") ?? DEFAULT_ORG;
  const s = store.stream(org, url.searchParams.get("type") ?? "logs", url.searchParams.get("stream") ?? "");
  return send(200, { count: s?.records.length ?? 0, records: s?.records ?? [] }, JSON_TYPE, {
    "x-np-double": "openobserve",
  });
}

class PayloadTooLarge extends Error {}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on("data", (c) => {
      n += c.length;
      if (n > limit) reject(new PayloadTooLarge());
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

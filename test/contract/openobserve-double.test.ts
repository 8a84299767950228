// Contract test of np's OpenObserve double on loopback: the behaviour of OpenObserve v0.14.7 that np relies on
// (healthz, ingestion with basic auth, search, the root-user checks of the first start, the agents' ingest-only
// credential, persistence in ZO_DATA_DIR), with the status codes and bodies of the upstream handlers.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/consul-dev.js";
import { writeDoubleBundle } from "../tools/build-mirror.ts";

const DOUBLE = fileURLToPath(new URL("../doubles/openobserve-double.mjs", import.meta.url));
const ROOT = { email: "root@example.com", password: "Root-pass-1!" };
const AGENT = { email: "np-agent@np.invalid", password: "Agent-pass-2!" };

// Keys of upstream's response types (src/common/meta/ingestion.rs IngestionResponse/StreamStatus,
// src/config/src/meta/search.rs Response with its skip_serializing_if fields absent, common/meta/http.rs).
const SEARCH_KEYS = [
  "cached_ratio",
  "from",
  "hits",
  "idx_scan_size",
  "is_partial",
  "result_cache_ratio",
  "scan_records",
  "scan_size",
  "size",
  "took",
  "took_detail",
  "total",
  "trace_id",
];

const work = mkdtempSync(path.join(tmpdir(), "np-oo-double-"));
interface Running {
  proc: ChildProcess;
  url: string;
  output: () => string;
}

async function start(dataDir: string, env: Record<string, string> = {}, script = DOUBLE): Promise<Running> {
  const [port, grpc] = [await freePort(), await freePort()];
  let out = "";
  const proc = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      ZO_ROOT_USER_EMAIL: ROOT.email,
      ZO_ROOT_USER_PASSWORD: ROOT.password,
      ZO_DATA_DIR: dataDir,
      ZO_HTTP_ADDR: "127.0.0.1",
      ZO_HTTP_PORT: String(port),
      ZO_GRPC_PORT: String(grpc),
      ZO_TELEMETRY: "false",
      ...env,
    },
  });
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) break;
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { proc, url, output: () => out };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill("SIGKILL");
  throw new Error(`the double did not start: ${out}`);
}

/** Runs the double until it exits (a failed first start); returns status and stderr. */
function failedStart(env: Record<string, string>, script = DOUBLE) {
  const r = spawnSync(process.execPath, [script], {
    env: {
      ...process.env,
      ZO_DATA_DIR: mkdtempSync(path.join(work, "fail-")),
      ZO_HTTP_PORT: "0",
      ZO_GRPC_PORT: "0",
      ...env,
    },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: r.status, stderr: r.stderr };
}

const basic = (u: { email: string; password: string }) =>
  `Basic ${Buffer.from(`${u.email}:${u.password}`).toString("base64")}`;

async function call(
  base: string,
  method: string,
  p: string,
  auth?: string,
  body?: unknown,
  type = "application/json",
) {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  if (body !== undefined) headers["content-type"] = type;
  const res = await fetch(`${base}${p}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return {
    status: res.status,
    text,
    json: json as Record<string, unknown>,
    type: res.headers.get("content-type"),
  };
}

async function stop(r: Running): Promise<number | null> {
  r.proc.kill("SIGTERM");
  return new Promise((resolve) => r.proc.once("exit", (code) => resolve(code)));
}

describe("OpenObserve double (v0.14.7 behaviour)", () => {
  const dataDir = path.join(work, "data");
  let oo: Running;
  let passcode: string;

  beforeAll(async () => {
    oo = await start(dataDir);
  }, 30_000);

  afterAll(async () => {
    if (oo?.proc.exitCode === null) await stop(oo);
    rmSync(work, { recursive: true, force: true });
  });

  it("prints its version like the clap CLI (-V/--version; -v is an error, exit 2)", () => {
    const v = spawnSync(process.execPath, [DOUBLE, "--version"], { encoding: "utf8" });
    expect(v.stdout).toBe("openobserve v0.14.7\n");
    const bad = spawnSync(process.execPath, [DOUBLE, "-v"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("error: unexpected argument '-v' found");
  });

  it("answers GET /healthz {status: ok} and HEAD /healthz 200 without auth", async () => {
    const get = await call(oo.url, "GET", "/healthz");
    expect([get.status, get.json]).toEqual([200, { status: "ok" }]);
    const head = await fetch(`${oo.url}/healthz`, { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  it("refuses /api without or with wrong credentials: 401 text/plain 'Unauthorized Access'", async () => {
    for (const auth of [
      undefined,
      basic({ ...ROOT, password: "nope" }),
      basic({ email: "x@y.zz", password: "a" }),
      "Bearer abc",
    ]) {
      const r = await call(oo.url, "POST", "/api/default/app/_json", auth, [{ a: 1 }]);
      expect([r.status, r.text, r.type]).toEqual([401, "Unauthorized Access", "text/plain; charset=utf-8"]);
    }
  });

  it("ingests _json and _multi with the real response and counts exactly in _search", async () => {
    const now = Date.now() * 1000;
    const json = Array.from({ length: 7 }, (_, i) => ({
      level: i % 2 ? "info" : "error",
      n: i,
      _timestamp: now - i,
    }));
    const a = await call(oo.url, "POST", "/api/default/My-App/_json", basic(ROOT), json);
    expect([a.status, a.json]).toEqual([
      200,
      { code: 200, status: [{ name: "my_app", successful: 7, failed: 0 }] },
    ]);
    const ndjson = [
      `{"level":"info","msg":"x","@timestamp":"${new Date().toISOString()}"}`,
      "",
      '{"level":"info","Nested":{"Key":1}}',
    ];
    const b = await call(oo.url, "POST", "/api/default/my_app/_multi", basic(ROOT), ndjson.join("\n"));
    expect(b.json).toEqual({ code: 200, status: [{ name: "my_app", successful: 2, failed: 0 }] });
    const old = await call(oo.url, "POST", "/api/default/my_app/_json", basic(ROOT), [
      { _timestamp: now - 6 * 3600e6 },
    ]);
    expect(old.json).toMatchObject({ code: 200, status: [{ name: "my_app", successful: 0, failed: 1 }] });
    const q = (sql: string, extra = {}) =>
      call(oo.url, "POST", "/api/default/_search", basic(ROOT), {
        query: { sql, start_time: 0, end_time: 0, ...extra },
      });
    const count = await q('SELECT count(*) AS n FROM "my_app"');
    expect(count.status).toBe(200);
    expect(Object.keys(count.json).sort()).toEqual(SEARCH_KEYS);
    expect(count.json.hits).toEqual([{ n: 9 }]);
    expect((await q("SELECT count(*) FROM \"my_app\" WHERE level = 'info'")).json.hits).toEqual([
      { "count(*)": 5 },
    ]);
    const top = await q("SELECT * FROM \"my_app\" WHERE level = 'error' ORDER BY n DESC LIMIT 2");
    expect((top.json.hits as { n: number }[]).map((h) => h.n)).toEqual([6, 4]);
    const nested = await q('SELECT * FROM "my_app" WHERE nested_key = 1');
    expect((nested.json.hits as object[]).length).toBe(1);
    const missing = await q('SELECT * FROM "nope"');
    expect(missing.json).toMatchObject({
      hits: [],
      total: 0,
      is_partial: true,
      function_error: ["Stream not found nope"],
    });
    const records = await call(oo.url, "GET", "/np-double/v1/records?org=default&stream=my_app");
    expect(records.json.count).toBe(9);
  });

  it("rejects a body that is not JSON with 400 {code, message}", async () => {
    const r = await call(oo.url, "POST", "/api/default/app/_json", basic(ROOT), "{not json");
    expect(r.status).toBe(400);
    expect(Object.keys(r.json).sort()).toEqual(["code", "message"]);
  });

  it("creates the agents' ingest-only credential: a user (admin in OSS) whose passcode works only for ingestion", async () => {
    const user = {
      email: AGENT.email,
      first_name: "np-agent",
      last_name: "",
      password: AGENT.password,
      role: "admin",
    };
    const created = await call(oo.url, "POST", "/api/default/users", basic(ROOT), user);
    expect([created.status, created.json]).toEqual([200, { code: 200, message: "User saved successfully" }]);
    const again = await call(oo.url, "POST", "/api/default/users", basic(ROOT), user);
    expect([again.status, again.json]).toEqual([400, { code: 400, message: "User already exists" }]);
    const invalid = await call(oo.url, "POST", "/api/default/users", basic(ROOT), {
      ...user,
      email: "No Email",
    });
    expect(invalid.json).toEqual({ code: 400, message: "Invalid email" });
    const root = await call(oo.url, "POST", "/api/default/users", basic(ROOT), {
      ...user,
      email: "r@np.invalid",
      role: "root",
    });
    expect(root.json).toEqual({ code: 400, message: "Not allowed" });
    const viewer = await call(oo.url, "POST", "/api/default/users", basic(ROOT), { ...user, role: "viewer" });
    expect(viewer.status).toBe(400);
    expect(viewer.text).toMatch(
      /^Json deserialize error: unknown variant `viewer`, expected one of `admin`, `member`, `root`, `service_account`/,
    );
    const noType = await call(oo.url, "POST", "/api/default/users", basic(ROOT), user, "text/plain");
    expect([noType.status, noType.text]).toEqual([400, "Content type error"]);
    const listed = await call(oo.url, "GET", "/api/default/users", basic(ROOT));
    expect(listed.json.data).toContainEqual({
      email: AGENT.email,
      first_name: "np-agent",
      last_name: "",
      role: "admin",
      is_external: false,
    });

    const pc = await call(oo.url, "GET", "/api/default/passcode", basic(AGENT));
    expect(pc.status).toBe(200);
    const data = pc.json.data as { passcode: string; user: string };
    expect(data.user).toBe(AGENT.email);
    expect(data.passcode).toMatch(/^[A-Za-z0-9]{16}$/);
    passcode = data.passcode;
    const token = basic({ email: AGENT.email, password: passcode });
    const ingest = await call(oo.url, "POST", "/api/default/np_node_metrics/_json", token, [{ cpu: 1 }]);
    expect(ingest.json).toEqual({
      code: 200,
      status: [{ name: "np_node_metrics", successful: 1, failed: 0 }],
    });
    const search = await call(oo.url, "POST", "/api/default/_search", token, {
      query: { sql: 'SELECT * FROM "np_node_metrics"' },
    });
    expect([search.status, search.text]).toEqual([401, "Unauthorized Access"]);
    const users = await call(oo.url, "GET", "/api/default/users", token);
    expect(users.status).toBe(401);
  });

  it("keeps users, passcodes and records across a restart, and ignores the root env after the first start", async () => {
    expect(await stop(oo)).toBe(0);
    oo = await start(dataDir, { ZO_ROOT_USER_PASSWORD: "Another-pass-3!" });
    const withNew = await call(
      oo.url,
      "GET",
      "/api/default/streams",
      basic({ ...ROOT, password: "Another-pass-3!" }),
    );
    expect(withNew.status).toBe(401);
    const streams = await call(oo.url, "GET", "/api/default/streams", basic(ROOT));
    const list = streams.json.list as { name: string; stats: { doc_num: number } }[];
    expect(list.map((s) => [s.name, s.stats.doc_num])).toEqual([
      ["my_app", 9],
      ["np_node_metrics", 1],
    ]);
    const pc = await call(oo.url, "GET", "/api/default/passcode", basic(AGENT));
    expect((pc.json.data as { passcode: string }).passcode).toBe(passcode);
  }, 30_000);

  it("panics on the first start without a valid root email or password (0.14.7 accepts a weak one)", () => {
    for (const env of [
      { ZO_ROOT_USER_EMAIL: "", ZO_ROOT_USER_PASSWORD: "x" },
      { ZO_ROOT_USER_EMAIL: "Root", ZO_ROOT_USER_PASSWORD: "x" },
      { ZO_ROOT_USER_EMAIL: ROOT.email, ZO_ROOT_USER_PASSWORD: "" },
    ]) {
      const r = failedStart(env);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        "thread '<unnamed>' panicked at src/job/mod.rs:63:13:\nPlease set root user email-id & password",
      );
      expect(r.stderr).toContain("Error: backend job init failed: channel closed");
    }
  });

  it("from v0.91.0 on (strong password policy) panics on a weak root password", async () => {
    const newer = await writeDoubleBundle(DOUBLE, path.join(work, "v0.91.0", "openobserve"), {
      version: "0.91.0",
    });
    const r = failedStart({ ZO_ROOT_USER_EMAIL: ROOT.email, ZO_ROOT_USER_PASSWORD: "weakpass" }, newer);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "panicked at src/job/mod.rs:315:13:\nZO_ROOT_USER_PASSWORD is too weak: Password must be 8-128 characters",
    );
    const ok = await start(path.join(work, "newer"), { ZO_ROOT_USER_PASSWORD: "Weak-but-ok-1" }, newer);
    expect(await stop(ok)).toBe(0);
  }, 30_000);
});

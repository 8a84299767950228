// Contract tests of np-agent: the BUILT bundle (dist/agent/np-agent.mjs, `npm run build` first) runs as a process
// on loopback against a REAL Consul 1.8.7 dev agent, a Nomad API stand-in serving /v1/node/<id>/allocations, an
// OpenObserve ingest stand-in (both in this file, with the real shapes of shared/reference), and test doubles of
// systemctl and journalctl put first on the agent's PATH. Records are counted in the ingest stand-in.
import { type ChildProcess, spawn } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import http from "node:http";
import type net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consulMissing } from "../helpers/consul-binary.js";
import { freePort, startConsulDev } from "../helpers/consul-dev.js";

const BUNDLE = path.resolve("dist/agent/np-agent.mjs");
const ALLOC = "5fc98185-17ff-26bc-a802-0c74fa471c99";
const NODE_ID = "f7476465-4d6e-c0de-26d0-e383c49be941";
const USER = "np-agent@np.invalid";
const PASSWORD = "Ingest-Pass-1!";
const tmp = mkdtempSync(path.join(tmpdir(), "np-agent-contract-"));
const procs: ChildProcess[] = [];
const servers: http.Server[] = [];

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      })
      .on("error", reject);
  });
}

/**
 * OpenObserve ingest stand-in: POST /api/<org>/<stream>/_json with basic auth, a JSON array body, answered like
 * OpenObserve (`{"code":200,"status":[{"name","successful","failed"}]}`; 401 text otherwise). Counts records.
 */
class IngestStandIn {
  readonly records = new Map<string, Record<string, unknown>[]>();
  badRequests: string[] = [];
  private server: http.Server | null = null;
  port = 0;

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.answer(req, Buffer.concat(chunks).toString("utf8"), res));
    });
    await new Promise<void>((r) => server.listen(this.port, "127.0.0.1", r));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** An outage: the port refuses connections until start() again. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  private answer(req: http.IncomingMessage, body: string, res: http.ServerResponse) {
    const m = /^\/api\/default\/([a-z_]+)\/_json$/.exec(req.url ?? "");
    const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
    if (req.headers.authorization !== auth) {
      res.writeHead(401, { "content-type": "text/plain" }).end("Unauthorized Access");
      return;
    }
    let docs: unknown;
    try {
      docs = JSON.parse(body);
    } catch {
      docs = null;
    }
    const valid =
      req.method === "POST" &&
      m?.[1] &&
      req.headers["content-type"] === "application/json" &&
      Array.isArray(docs) &&
      docs.every(
        (d) =>
          typeof d === "object" &&
          d !== null &&
          typeof (d as { _timestamp?: unknown })._timestamp === "number",
      );
    if (!valid || !m?.[1] || !Array.isArray(docs)) {
      this.badRequests.push(`${req.method} ${req.url} ${body.slice(0, 200)}`);
      res.writeHead(400, { "content-type": "application/json" }).end('{"code":400,"message":"bad request"}');
      return;
    }
    const list = this.records.get(m[1]) ?? [];
    list.push(...(docs as Record<string, unknown>[]));
    this.records.set(m[1], list);
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ code: 200, status: [{ name: m[1], successful: docs.length, failed: 0 }] }));
  }

  messages(stream: string): string[] {
    return (this.records.get(stream) ?? []).map((r) => String(r.message));
  }
}

/** Nomad API stand-in: the node's allocations in the full structs.Allocation shape (plain-text 404 otherwise). */
async function startNomadStandIn(): Promise<number> {
  const allocs = [
    {
      ID: ALLOC,
      EvalID: "a9c5effc-2242-51b2-f1fe-054ee11ab189",
      Name: "web.web[0]",
      Namespace: "default",
      NodeID: NODE_ID,
      JobID: "web",
      Job: { ID: "web", Name: "web", Type: "service" },
      TaskGroup: "web",
      DesiredStatus: "run",
      ClientStatus: "running",
      TaskStates: { web: { State: "running", Failed: false, Restarts: 0, Events: [] } },
      CreateIndex: 36,
      ModifyIndex: 40,
    },
  ];
  const server = http.createServer((req, res) => {
    if (req.url === `/v1/node/${NODE_ID}/allocations`) {
      res
        .writeHead(200, { "content-type": "application/json", "x-nomad-index": "40" })
        .end(JSON.stringify(allocs));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("node not found");
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as net.AddressInfo).port;
}

/** Test doubles of systemctl (every unit active) and journalctl (entries from a JSON-lines file, by cursor). */
function writeToolDoubles(bin: string): void {
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    path.join(bin, "systemctl"),
    `#!${process.execPath}
// TEST DOUBLE of systemctl show: every unit after "--" is loaded and active.
const units = process.argv.slice(process.argv.indexOf("--") + 1);
process.stdout.write(units.map((u, i) => "MainPID=" + (1000 + i) + "\\nId=" + u + "\\nLoadState=loaded\\nActiveState=active\\nSubState=running\\n").join("\\n"));
`,
  );
  writeFileSync(
    path.join(bin, "journalctl"),
    `#!${process.execPath}
// TEST DOUBLE of journalctl -o json: prints the entries of $NP_TEST_JOURNAL after --after-cursor (all with --boot).
const fs = require("node:fs");
const after = process.argv.find((a) => a.startsWith("--after-cursor="))?.slice("--after-cursor=".length);
const lines = fs.existsSync(process.env.NP_TEST_JOURNAL) ? fs.readFileSync(process.env.NP_TEST_JOURNAL, "utf8").split("\\n").filter(Boolean) : [];
let start = 0;
if (after) {
  start = lines.findIndex((l) => JSON.parse(l).__CURSOR === after) + 1;
  if (start === 0) { process.stderr.write("Failed to seek to cursor: Invalid argument\\n"); process.exit(1); }
}
process.stdout.write(lines.slice(start).map((l) => l + "\\n").join(""));
`,
  );
  chmodSync(path.join(bin, "systemctl"), 0o755);
  chmodSync(path.join(bin, "journalctl"), 0o755);
}

interface Env {
  dir: string;
  configFile: string;
  consulUrl: string;
  agentUrl: string;
  logs: string;
  nomadDir: string;
  journal: string;
  bin: string;
}

/** Runs the built agent; its stderr is kept for failure messages. */
class AgentProcess {
  proc: ChildProcess | null = null;
  stderr = "";

  constructor(private readonly env: Env) {}

  start(): void {
    const p = spawn(process.execPath, [BUNDLE, this.env.configFile], {
      env: { ...process.env, PATH: `${this.env.bin}:${process.env.PATH}`, NP_TEST_JOURNAL: this.env.journal },
      stdio: ["ignore", "ignore", "pipe"],
    });
    p.stderr?.setEncoding("utf8").on("data", (s: string) => {
      this.stderr += s;
    });
    procs.push(p);
    this.proc = p;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return p?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
    p.kill(signal);
    return exited;
  }

  alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null;
  }
}

describe.skipIf(consulMissing())(
  "np-agent (built bundle) with real Consul 1.8.7 and OpenObserve/Nomad stand-ins",
  () => {
    const oo = new IngestStandIn();
    let env: Env;
    let agent: AgentProcess;
    let lineNo = 0;

    /** Appends numbered lines to the task's current stdout file; returns their texts. */
    function appendLines(file: string, count: number): string[] {
      const lines = Array.from({ length: count }, () => `line-${lineNo++} ${"x".repeat(lineNo % 50)}`);
      appendFileSync(path.join(env.logs, file), `${lines.join("\n")}\n`);
      return lines;
    }
    const written: string[] = [];

    /** Waits until OpenObserve holds every written line, then checks each arrived exactly once. */
    async function expectExactlyOnce(): Promise<void> {
      await until(
        `${written.length} log records in the ingest stand-in (agent stderr: ${agent.stderr.slice(-500)})`,
        () => (oo.messages("nomad_logs").length >= written.length ? true : undefined),
      );
      await new Promise((r) => setTimeout(r, 2500)); // two more intervals: a duplicate would show up by now
      expect(oo.messages("nomad_logs")).toEqual(written);
      expect(oo.badRequests).toEqual([]);
    }

    beforeAll(async () => {
      if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} missing: run npm run build first`);
      const dir = mkdtempSync(path.join(tmp, "env-"));
      const agentPort = await freePort();
      const consul = await startConsulDev({ node: "agent-contract" });
      procs.push(consul.proc);
      const consulUrl = consul.url;
      await oo.start();
      const nomadPort = await startNomadStandIn();
      const nomadDir = path.join(dir, "nomad");
      mkdirSync(path.join(nomadDir, "client"), { recursive: true });
      writeFileSync(path.join(nomadDir, "client", "client-id"), NODE_ID);
      const logs = path.join(nomadDir, "alloc", ALLOC, "alloc", "logs");
      mkdirSync(logs, { recursive: true });
      env = {
        dir,
        configFile: path.join(dir, "config.json"),
        consulUrl,
        agentUrl: `http://127.0.0.1:${agentPort}`,
        logs,
        nomadDir,
        journal: path.join(dir, "journal.jsonl"),
        bin: path.join(dir, "bin"),
      };
      writeToolDoubles(env.bin);
      writeFileSync(
        env.configFile,
        JSON.stringify({
          node: "node1",
          roles: ["server", "client"],
          datacenter: "dc1",
          listen: { address: "127.0.0.1", port: agentPort },
          intervalSec: 0.5,
          stateDir: path.join(dir, "state"),
          consul: { address: consulUrl, token: null },
          nomad: { address: `http://127.0.0.1:${nomadPort}`, token: null, dataDir: nomadDir },
          openobserve: { url: `http://127.0.0.1:${oo.port}`, org: "default", user: USER, password: PASSWORD },
          units: ["consul", "nomad", "np-agent"],
          versions: { consul: "1.8.7", nomad: "1.10.5", "np-agent": "0.1.0", node: "24.22.3" },
          disks: [dir],
          streams: { metrics: "np_node_metrics", logs: "nomad_logs", journal: "np_journal" },
        }),
      );
      written.push(...appendLines("web.stdout.0", 5));
      agent = new AgentProcess(env);
      agent.start();
    });

    afterAll(async () => {
      for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
      await oo.stop();
      for (const s of servers) s.close();
      rmSync(tmp, { recursive: true, force: true });
    });

    it("registers service np-agent in Consul with an HTTP check on /v1/health that passes", async () => {
      const services = await until("np-agent registered", async () => {
        const r = (await getJson(`${env.consulUrl}/v1/agent/services`)).body as Record<
          string,
          { Port: number }
        >;
        return r["np-agent"] ? r : undefined;
      });
      expect(services["np-agent"]).toMatchObject({ Service: "np-agent", Address: "127.0.0.1" });
      const check = await until(
        "the check passing",
        async () => {
          const c = (await getJson(`${env.consulUrl}/v1/agent/checks`)).body as Record<
            string,
            { Status: string }
          >;
          return c["np-agent-health"]?.Status === "passing" ? c["np-agent-health"] : undefined;
        },
        40_000,
      );
      expect(check).toMatchObject({ ServiceID: "np-agent", Type: "http" });
    });

    it("registers its service again at every start (with the token it holds now), not only when Consul lacks it", async () => {
      // Consul syncs a service to the catalog with the token it was registered with: an agent restarted with a
      // rotated token that kept the old registration would have its check's status stuck once the old is deleted.
      const services = async () =>
        (await getJson(`${env.consulUrl}/v1/agent/services`)).body as Record<
          string,
          { Port: number; Meta: Record<string, string> }
        >;
      const before = (await services())["np-agent"];
      const stale = { ID: "np-agent", Name: "np-agent", Port: 1, Meta: { version: "registered-before" } };
      const put = await fetch(`${env.consulUrl}/v1/agent/service/register`, {
        method: "PUT",
        body: JSON.stringify(stale),
      });
      expect(put.status).toBe(200);
      expect((await services())["np-agent"]?.Meta.version).toBe("registered-before");
      expect(await agent.stop("SIGTERM")).toBe(0);
      agent.start();
      const after = await until("np-agent registered again", async () => {
        const s = (await services())["np-agent"];
        return s && s.Meta.version !== "registered-before" ? s : undefined;
      });
      expect(after).toMatchObject({ Port: before?.Port, Meta: before?.Meta });
    });

    it("serves its report and keeps a fresh summary in Consul KV np/nodes/<node>", async () => {
      const report = (await until("a report with allocations", async () => {
        const r = (await getJson(`${env.agentUrl}/v1/node`)).body as { allocations: unknown[] | null };
        return r.allocations?.length ? r : undefined;
      })) as Record<string, unknown>;
      expect(report).toMatchObject({
        node: "node1",
        roles: ["server", "client"],
        allocations: [{ id: ALLOC, jobId: "web", taskGroup: "web", clientStatus: "running" }],
        units: [
          { name: "consul", activeState: "active", mainPid: 1000 },
          { name: "nomad", activeState: "active" },
          { name: "np-agent", activeState: "active" },
        ],
        versions: { nomad: "1.10.5" },
        agent: { healthy: true },
      });
      expect((report.memory as { totalBytes: number }).totalBytes).toBeGreaterThan(0);
      expect((report.disks as { inodesTotal: number }[])[0]?.inodesTotal).toBeGreaterThan(0);
      const kv = async () => {
        const r = (await getJson(`${env.consulUrl}/v1/kv/np/nodes/?recurse=true`)).body as {
          Key: string;
          Value: string;
        }[];
        expect(r.map((e) => e.Key)).toEqual(["np/nodes/node1"]);
        return JSON.parse(Buffer.from(r[0]?.Value ?? "", "base64").toString("utf8")) as Record<
          string,
          unknown
        >;
      };
      const first = await kv();
      expect(first).toMatchObject({
        node: "node1",
        state: "ok",
        allocations: 1,
        units: { up: 3, down: 0 },
        intervalSec: 0.5,
      });
      const later = await until("a newer reportedAt", async () => {
        const s = await kv();
        return s.reportedAt !== first.reportedAt ? s : undefined;
      });
      expect(Date.parse(String(later.reportedAt))).toBeGreaterThan(Date.parse(String(first.reportedAt)));
    });

    it("ships node metrics and log lines with their fields, each line exactly once", async () => {
      await until("metrics", () =>
        (oo.records.get("np_node_metrics")?.length ?? 0) >= 2 ? true : undefined,
      );
      expect(oo.records.get("np_node_metrics")?.[0]).toMatchObject({ node: "node1", kind: "node" });
      written.push(...appendLines("web.stdout.0", 200));
      await expectExactlyOnce();
      expect(oo.records.get("nomad_logs")?.[0]).toMatchObject({
        alloc_id: ALLOC,
        job: "web",
        group: "web",
        task: "web",
        stream: "stdout",
        node: "node1",
        message: written[0],
      });
    });

    it("loses and duplicates nothing across a graceful restart and a rotation", async () => {
      written.push(...appendLines("web.stdout.0", 50));
      expect(await agent.stop("SIGTERM")).toBe(0);
      written.push(...appendLines("web.stdout.0", 50));
      writeFileSync(path.join(env.logs, "web.stdout.1"), "");
      written.push(...appendLines("web.stdout.1", 50));
      agent.start();
      written.push(...appendLines("web.stdout.1", 20));
      await expectExactlyOnce();
      unlinkSync(path.join(env.logs, "web.stdout.0")); // Nomad deletes the oldest
      writeFileSync(path.join(env.logs, "web.stdout.2"), "");
      written.push(...appendLines("web.stdout.2", 20));
      await expectExactlyOnce();
    });

    it("keeps lines through an OpenObserve outage, says so in /v1/health, and delivers them once when it is back", async () => {
      await oo.stop();
      written.push(...appendLines("web.stdout.2", 100));
      const down = await until("503 from /v1/health", async () => {
        const h = await getJson(`${env.agentUrl}/v1/health`);
        return h.status === 503 ? (h.body as { problems: { id: string; message: string }[] }) : undefined;
      });
      expect(down.problems.find((p) => p.id === "openobserve")?.message).toMatch(
        /cannot ship to OpenObserve/,
      );
      // A restart during the outage: the buffered batches are on disk.
      expect(await agent.stop("SIGTERM")).toBe(0);
      agent.start();
      written.push(...appendLines("web.stdout.2", 10));
      await new Promise((r) => setTimeout(r, 1500));
      await oo.start();
      await expectExactlyOnce();
      await until("healthy again", async () =>
        (await getJson(`${env.agentUrl}/v1/health`)).status === 200 ? true : undefined,
      );
    });

    it("loses nothing when killed with SIGKILL (the residual window may resend a batch)", async () => {
      written.push(...appendLines("web.stdout.2", 30));
      await new Promise((r) => setTimeout(r, 300));
      await agent.stop("SIGKILL");
      written.push(...appendLines("web.stdout.2", 30));
      agent.start();
      await until("every line", () =>
        written.every((l) => oo.messages("nomad_logs").includes(l)) ? true : undefined,
      );
      expect(new Set(oo.messages("nomad_logs"))).toEqual(new Set(written));
      // Realign the count for the following tests: duplicates from the kill window are allowed here only.
      const got = oo.records.get("nomad_logs") ?? [];
      const seen = new Set<string>();
      oo.records.set(
        "nomad_logs",
        got.filter((r) => !seen.has(String(r.message)) && seen.add(String(r.message))),
      );
    });

    it("survives a 10 MB line and binary junk: truncated with a marker, valid UTF-8, still healthy", async () => {
      appendFileSync(
        path.join(env.logs, "web.stdout.2"),
        Buffer.concat([Buffer.alloc(10 * 1024 * 1024, "z"), Buffer.from("\n")]),
      );
      appendFileSync(path.join(env.logs, "web.stdout.2"), Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a]));
      written.push(
        `${"z".repeat(16 * 1024)} …[np-agent: line truncated at 16384 bytes]`,
        "\uFFFD\uFFFD\u0000\uFFFD(",
      );
      written.push(...appendLines("web.stdout.2", 5));
      await expectExactlyOnce();
      const big = oo.records.get("nomad_logs")?.find((r) => r.truncated === true);
      expect(big).toBeDefined();
      expect(agent.alive()).toBe(true);
      expect((await getJson(`${env.agentUrl}/v1/health`)).status).toBe(200);
    });

    it("ships the units' journal from its cursor, exactly once across a restart", async () => {
      const entry = (i: number) =>
        JSON.stringify({
          __CURSOR: `s=abc;i=${i}`,
          __REALTIME_TIMESTAMP: String(1764590000000000 + i),
          PRIORITY: "6",
          _SYSTEMD_UNIT: i % 2 ? "consul.service" : "nomad.service",
          _PID: "812",
          SYSLOG_IDENTIFIER: "consul",
          MESSAGE: `journal-${i}`,
        });
      appendFileSync(env.journal, `${[0, 1, 2].map(entry).join("\n")}\n`);
      await until("3 journal records", () =>
        (oo.records.get("np_journal")?.length ?? 0) >= 3 ? true : undefined,
      );
      expect(await agent.stop("SIGTERM")).toBe(0);
      appendFileSync(env.journal, `${[3, 4].map(entry).join("\n")}\n`);
      agent.start();
      await until("5 journal records", () =>
        (oo.records.get("np_journal")?.length ?? 0) >= 5 ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 2000));
      expect(oo.messages("np_journal")).toEqual([
        "journal-0",
        "journal-1",
        "journal-2",
        "journal-3",
        "journal-4",
      ]);
      expect(oo.records.get("np_journal")?.[1]).toMatchObject({
        unit: "consul.service",
        priority: 6,
        pid: 812,
        node: "node1",
      });
    });

    it("reports a missing component and an unreadable file in /v1/health (503) and /v1/node, and keeps running", async () => {
      unlinkSync(path.join(env.nomadDir, "client", "client-id"));
      chmodSync(env.logs, 0o000);
      try {
        const h = await until("503 naming the problems", async () => {
          const r = await getJson(`${env.agentUrl}/v1/health`);
          const ids = ((r.body as { problems: { id: string }[] }).problems ?? []).map((p) => p.id);
          return r.status === 503 && ids.includes("nomad:client-id") ? ids : undefined;
        });
        expect(h).toContain("nomad:client-id");
        // root reads a 0000 directory anyway; only an unprivileged run sees the unreadable file.
        if (process.getuid?.() !== 0) expect(h.some((id) => id.startsWith("file:"))).toBe(true);
        const node = (await getJson(`${env.agentUrl}/v1/node`)).body as {
          agent: { healthy: boolean; problems: unknown[] };
        };
        expect(node.agent.healthy).toBe(false);
        await until("the KV summary degraded", async () => {
          const k = (await getJson(`${env.consulUrl}/v1/kv/np/nodes/node1`)).body as { Value: string }[];
          return JSON.parse(Buffer.from(k[0]?.Value ?? "", "base64").toString("utf8")).state === "degraded"
            ? true
            : undefined;
        });
        expect(agent.alive()).toBe(true);
      } finally {
        chmodSync(env.logs, 0o755);
      }
    });
  },
);

import type http from "node:http";
import path from "node:path";
import type { AgentConfig } from "./config.js";
import { agentServiceDefinition, ConsulAgentApi } from "./consul/consul.js";
import { createAgentServer } from "./http/server.js";
import { Problems } from "./problems.js";
import { NodeCollector, type NodeFacts } from "./report/collect.js";
import type { AgentSelf, NodeReport, ShippingStatus } from "./report/node-report.js";
import { summarize } from "./report/summary.js";
import { JournalReader } from "./ship/journal-reader.js";
import { AllocLogReader } from "./ship/log-reader.js";
import { metricRecords } from "./ship/metrics.js";
import { Pipeline } from "./ship/pipeline.js";
import { type Ingest, Shipper } from "./ship/shipper.js";

/** The agent's version; the build replaces it with package.json's. */
declare const NP_AGENT_VERSION: string | undefined;
export const AGENT_VERSION = typeof NP_AGENT_VERSION === "string" ? NP_AGENT_VERSION : "0.0.0-dev";

const NOT_SHIPPING: ShippingStatus = {
  enabled: false,
  spool: { batches: 0, records: 0, bytes: 0, maxBytes: 0 },
  shippedRecords: {},
  droppedRecords: 0,
  rejectedRecords: 0,
  lastShippedAt: null,
  lastError: null,
  nextAttemptAt: null,
};

/**
 * np-agent: every interval it reads the node (collector), refreshes its Consul registration and KV summary, and
 * spools metrics, Nomad allocation logs and the units' journal for the shipper to send to OpenObserve. Every
 * failure becomes a problem in /v1/health and /v1/node; nothing in a tick can stop the next one.
 */
export class Agent {
  readonly problems = new Problems();
  private readonly collector: NodeCollector;
  private readonly consul: ConsulAgentApi;
  /** Whether this process registered its Consul service yet (see publish). */
  private registered = false;
  private readonly pipeline: Pipeline | null;
  private readonly shipper: Shipper | null;
  private readonly logReader: AllocLogReader | null = null;
  private readonly journalReader: JournalReader | null = null;
  private server: http.Server | null = null;
  private facts: NodeFacts | null = null;
  private reportedAt = new Date().toISOString();
  private readonly startedAt = new Date().toISOString();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopping = false;
  private selfCpu = {
    usage: process.cpuUsage(),
    at: process.hrtime.bigint(),
    percent: null as number | null,
  };

  constructor(
    private readonly config: AgentConfig,
    ingest?: Ingest,
  ) {
    this.collector = new NodeCollector(config, this.problems);
    this.consul = new ConsulAgentApi(config.consul.address, config.consul.token);
    const oo = config.openobserve;
    if (!oo) {
      this.pipeline = null;
      this.shipper = null;
      return;
    }
    this.pipeline = new Pipeline(config.stateDir, config.spoolMaxBytes, this.problems);
    this.shipper = new Shipper(this.pipeline.spool, oo, this.problems, ingest);
    this.pipeline.shipper = this.shipper;
    if (config.nomad && config.roles.includes("client"))
      this.logReader = new AllocLogReader(
        path.join(config.nomad.dataDir, "alloc"),
        config.node,
        config.streams.logs,
        this.pipeline,
        this.collector.allocMeta,
        this.problems,
      );
    this.journalReader = new JournalReader(
      config.units,
      config.node,
      config.streams.journal,
      this.pipeline,
      this.problems,
    );
  }

  /** Listens, opens the spool and starts the interval. Rejects when the listen address cannot be bound. */
  async start(): Promise<void> {
    const server = createAgentServer({ report: () => this.report(), health: () => this.health() });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.config.listen.port, this.config.listen.address, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => this.problems.set("http", "error", err.message));
    this.server = server;
    await this.openPipeline();
    await this.collector.prime();
    this.schedule(Math.min(1000, this.config.intervalSec * 1000));
  }

  /** Opens the offsets and spool (again at each tick until it works: the state dir may be fixed meanwhile). */
  private async openPipeline(): Promise<boolean> {
    if (!this.pipeline) return false;
    if (this.pipeline.state) return true;
    try {
      await this.pipeline.open();
      this.problems.clear("state-dir");
      this.shipper?.kick();
      return true;
    } catch (err) {
      this.problems.set(
        "state-dir",
        "error",
        `cannot open ${this.config.stateDir}: ${(err as Error).message}`,
      );
      return false;
    }
  }

  /** The port the server listens on (the configured one, or the one the OS chose for port 0). */
  port(): number {
    const a = this.server?.address();
    return typeof a === "object" && a ? a.port : this.config.listen.port;
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        this.schedule(this.config.intervalSec * 1000);
      });
    }, ms);
  }

  /** One interval's work; each step reports its own failure and the next step still runs. */
  private async tick(): Promise<void> {
    await this.step("collect", async () => {
      this.facts = await this.collector.collect();
      this.reportedAt = new Date().toISOString();
      this.measureSelf();
    });
    if (this.pipeline && (await this.openPipeline())) {
      const p = this.pipeline;
      await this.step("spool", async () => {
        const records = metricRecords(this.report()).map((r) => JSON.stringify(r));
        await p.commit(this.config.streams.metrics, records, {});
        await this.logReader?.readOnce();
        await this.journalReader?.readOnce();
        this.problems.clear("spool");
      });
      this.shipper?.kick();
    }
    await this.step("consul", async () => {
      await this.publish();
      this.problems.clear("consul");
    });
  }

  private async step(id: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.problems.set(id, "error", (err as Error).message);
    }
  }

  /**
   * Registers the service once per start and again whenever the local Consul agent lacks it, then writes the KV
   * summary. Once per start because Consul keeps the token a service was registered with and syncs the service's
   * check to the catalog with it: after `np rotate tokens` restarted the agent with its new token and deleted the
   * old one, a registration kept from before would leave the catalog showing the check as it was at the restart.
   */
  private async publish(): Promise<void> {
    const c = this.config;
    if (!this.registered || !(await this.consul.hasService("np-agent"))) {
      await this.consul.registerService(
        agentServiceDefinition(
          c.listen.address,
          this.port(),
          c.node,
          c.versions["np-agent"] ?? AGENT_VERSION,
        ),
      );
      this.registered = true;
    }
    const summary = summarize(this.report(), { address: c.listen.address, port: this.port() });
    await this.consul.putKv(`np/nodes/${c.node}`, JSON.stringify(summary));
  }

  private measureSelf(): void {
    const now = process.hrtime.bigint();
    const usage = process.cpuUsage();
    const wallUs = Number(now - this.selfCpu.at) / 1000;
    const cpuUs = usage.user - this.selfCpu.usage.user + (usage.system - this.selfCpu.usage.system);
    this.selfCpu = {
      usage,
      at: now,
      percent: wallUs > 0 ? Math.round((cpuUs / wallUs) * 10000) / 100 : null,
    };
  }

  private self(): AgentSelf {
    const problems = this.problems.list();
    return {
      version: AGENT_VERSION,
      pid: process.pid,
      startedAt: this.startedAt,
      healthy: problems.every((p) => p.level !== "error"),
      problems,
      rssBytes: process.memoryUsage.rss(),
      cpuPercent: this.selfCpu.percent,
      shipping: this.shipper?.status() ?? NOT_SHIPPING,
      logFilesTailed: this.logReader?.groupsSeen ?? 0,
    };
  }

  /** The full report; before the first collection, what is known without reading the node. */
  report(): NodeReport {
    const c = this.config;
    const facts: NodeFacts = this.facts ?? {
      node: c.node,
      datacenter: c.datacenter,
      roles: c.roles,
      intervalSec: c.intervalSec,
      uptimeSec: null,
      cpu: { count: 0, usagePercent: null },
      load: null,
      memory: null,
      disks: [],
      versions: c.versions,
      units: [],
      allocations: null,
    };
    return { ...facts, reportedAt: this.reportedAt, agent: this.self() };
  }

  /** /v1/health: healthy unless a problem of level "error" is current. */
  health(): { healthy: boolean; body: object } {
    const self = this.self();
    const starting = this.facts === null;
    return {
      healthy: self.healthy,
      body: {
        status: self.healthy ? "ok" : "unhealthy",
        node: this.config.node,
        version: AGENT_VERSION,
        ...(starting ? { starting: true } : {}),
        reportedAt: this.reportedAt,
        problems: self.problems,
      },
    };
  }

  /** Graceful stop: no new tick, the current one finishes, the request in flight is settled, offsets are saved. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ticking) await this.ticking;
    await this.shipper?.stop(timeoutMs);
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

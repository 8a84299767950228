import { bodyHead, httpRequest } from "../http/client.js";

/** The service the agent registers in its local Consul agent (contract: ID and name `np-agent`). */
export function agentServiceDefinition(address: string, port: number, node: string, version: string) {
  return {
    ID: "np-agent",
    Name: "np-agent",
    Address: address,
    Port: port,
    Meta: { version, node },
    Check: {
      CheckID: "np-agent-health",
      Name: "np-agent health",
      HTTP: `http://${hostForUrl(address)}:${port}/v1/health`,
      Method: "GET",
      Interval: "10s",
      Timeout: "5s",
    },
  };
}

const hostForUrl = (a: string) => (a.includes(":") ? `[${a}]` : a);

/** The local Consul agent's HTTP API, as much of it as the agent uses. */
export class ConsulAgentApi {
  constructor(
    private readonly address: string,
    private readonly token: string | null,
  ) {}

  private async call(method: "GET" | "PUT", path: string, body?: string) {
    const res = await httpRequest({
      method,
      url: `${this.address}${path}`,
      headers: {
        ...(this.token ? { "X-Consul-Token": this.token } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body }),
      timeoutMs: 5_000,
    });
    return res;
  }

  /** True when the local agent already has the service (it forgets API-registered services when wiped). */
  async hasService(id: string): Promise<boolean> {
    const res = await this.call("GET", `/v1/agent/service/${encodeURIComponent(id)}`);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new Error(`Consul GET /v1/agent/service/${id}: HTTP ${res.status}: ${bodyHead(res.body)}`);
  }

  /** Registers (or replaces) a service with its check. */
  async registerService(definition: object): Promise<void> {
    const res = await this.call("PUT", "/v1/agent/service/register", JSON.stringify(definition));
    if (res.status !== 200)
      throw new Error(`Consul service register: HTTP ${res.status}: ${bodyHead(res.body)}`);
  }

  /** Writes one KV entry. */
  async putKv(key: string, value: string): Promise<void> {
    const path = key.split("/").map(encodeURIComponent).join("/");
    const res = await this.call("PUT", `/v1/kv/${path}`, value);
    if (res.status !== 200 || res.body.trim() !== "true")
      throw new Error(`Consul KV put ${key}: HTTP ${res.status}: ${bodyHead(res.body)}`);
  }
}

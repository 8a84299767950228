import type { Output } from "../output/port.js";

/** What a rotation did: lines said as they happen (each starting with its host), and a summary per host. */
export class RotationReport {
  readonly steps: { host: string; message: string }[] = [];
  readonly hosts = new Map<string, string[]>();

  constructor(private readonly out: Output) {}

  /** A cluster-wide step, done through one host (a keyring query through a server's API). */
  cluster(via: string, message: string): void {
    this.steps.push({ host: via, message });
    this.out.host(via, message);
  }

  /** What changed for one host, for the summary. */
  host(name: string, message: string): void {
    const list = this.hosts.get(name) ?? [];
    if (!list.includes(message)) list.push(message);
    this.hosts.set(name, list);
  }

  /** The summary: one line per host and thing done. */
  summary(order: readonly string[]): string[] {
    return order.flatMap((h) => (this.hosts.get(h) ?? []).map((m) => `${h}: ${m}`));
  }
}

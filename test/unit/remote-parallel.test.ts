import { AssertionError } from "node:assert";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HostError, InputError, Interrupted } from "../../src/errors.js";
import { isProgrammingError } from "../../src/programming-error.js";
import { asHostFailure, parallelEach, throwIfFailed } from "../../src/remote/parallel.js";
import { reportStillWaiting } from "../../src/remote/still-waiting.js";

const hosts = ["node1", "node2", "node3"];
const id = (h: string) => h;

describe("parallelEach: one host's failure never hides the others", () => {
  it("collects each host's failure with its name, in inventory order, and keeps the others' results", async () => {
    const { results, failures } = await parallelEach(hosts, id, async (h) => {
      if (h === "node3") throw new HostError(h, "sh exited with 1");
      if (h === "node1") throw new Error("Not connected");
      return `${h} ok`;
    });
    expect([...results]).toEqual([["node2", "node2 ok"]]);
    expect(failures.map((f) => f.message)).toEqual(["node1: Not connected", "node3: sh exited with 1"]);
    expect(failures[0]).toBeInstanceOf(HostError);
    expect(() => throwIfFailed(failures)).toThrow(/failed on 2 hosts:\n - node1: Not connected\n - node3/);
  });

  it.each([
    ["TypeError", () => (undefined as unknown as { x: number }).x],
    ["RangeError", () => new Array(-1)],
    ["ReferenceError", () => new ReferenceError("x is not defined")],
    ["AssertionError", () => new AssertionError({ message: "must not happen" })],
  ])("lets a %s through as itself, after every host has finished", async (name, make) => {
    let finished = 0;
    const run = parallelEach(hosts, id, async (h) => {
      if (h === "node2") {
        const made = make();
        if (made instanceof Error) throw made;
      }
      await new Promise((r) => setTimeout(r, 20));
      finished++;
    });
    const err = await run.catch((e: unknown) => e);
    expect((err as Error).name).toBe(name);
    expect(err).not.toBeInstanceOf(HostError);
    expect(finished).toBe(2);
  });

  it("lets Interrupted and np's other typed errors through as themselves", async () => {
    await expect(
      parallelEach(hosts, id, async () => {
        throw new Interrupted();
      }),
    ).rejects.toBeInstanceOf(Interrupted);
    expect(() => asHostFailure("node1", new InputError("bad flag"))).toThrow(InputError);
    expect(isProgrammingError("a thrown string")).toBe(true);
    expect(isProgrammingError(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(false);
  });

  it("still takes a plain limit", async () => {
    let active = 0;
    let most = 0;
    await parallelEach(
      hosts,
      id,
      async () => {
        most = Math.max(most, ++active);
        await new Promise((r) => setTimeout(r, 10));
        active--;
      },
      1,
    );
    expect(most).toBe(1);
  });
});

describe("still waiting for…", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports every N seconds which hosts are still running, and nothing once all are done", async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const release = new Map<string, () => void>();
    const run = parallelEach(
      ["node1", "node2", "node4"],
      id,
      (h) => new Promise<void>((resolve) => release.set(h, resolve)),
      { onStillWaiting: (m) => lines.push(m), stillWaitingEveryMs: 10_000 },
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines).toEqual([]);
    release.get("node1")?.();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lines).toEqual(["still waiting for node2, node4 (10 s)"]);
    release.get("node4")?.();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(lines.slice(1)).toEqual(["still waiting for node2 (20 s)", "still waiting for node2 (30 s)"]);
    release.get("node2")?.();
    await run;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines).toHaveLength(3);
  });

  it("passes the hosts and elapsed time to the callback", () => {
    vi.useFakeTimers();
    const seen: [string[], number][] = [];
    const w = reportStillWaiting((_m, h, ms) => seen.push([h, ms]), 1_000);
    w.started("node7");
    vi.advanceTimersByTime(1_000);
    w.finished("node7");
    vi.advanceTimersByTime(1_000);
    w.stop();
    expect(seen).toEqual([[["node7"], 1_000]]);
  });
});

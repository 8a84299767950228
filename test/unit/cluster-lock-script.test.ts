// The cluster lock's holder script (HOLD in src/cluster/lock.ts) run by a real sh with flock and timeout, as a
// server runs it: held while heartbeats (lines) come, refused to a second run, released when stdin closes or
// falls silent for longer than the timeout.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HOLD } from "../../src/cluster/lock.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "np-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hold(file: string, holder: string, timeoutS: number) {
  const child = spawn("sh", ["-c", HOLD, "sh", file, holder, String(timeoutS)], { stdio: "pipe" });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const locked = async () => {
    for (let i = 0; i < 100 && !out.includes("locked\n"); i++) await sleep(20);
    return out.includes("locked\n");
  };
  return { child, exited, locked, output: () => out };
}
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

describe("the cluster lock's holder script", () => {
  it("holds while heartbeat lines come, refuses a second holder, and lets go when stdin closes", async () => {
    const file = path.join(dir, "sub", "cluster.lock");
    const first = hold(file, '{"by":"first"}', 1);
    expect(await first.locked()).toBe(true);
    // Heartbeats every 300 ms for 2 s: longer than the 1 s timeout, so only the heartbeats keep it.
    for (let i = 0; i < 7; i++) {
      first.child.stdin.write("\n");
      await sleep(300);
    }
    expect(alive(first.child)).toBe(true);
    const second = hold(file, '{"by":"second"}', 1);
    expect(await second.exited).toBe(3);
    expect(second.output()).toMatch(/^\d+ \{"by":"first"\}\n$/);
    first.child.stdin.end();
    expect(await first.exited).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("");
    const third = hold(file, '{"by":"third"}', 1);
    expect(await third.locked()).toBe(true);
    third.child.stdin.end();
    expect(await third.exited).toBe(0);
  });

  it("lets go by itself once the heartbeat is silent for longer than the timeout", async () => {
    const file = path.join(dir, "silent.lock");
    const h = hold(file, '{"by":"gone"}', 1);
    expect(await h.locked()).toBe(true);
    const started = Date.now();
    expect(await h.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(readFileSync(file, "utf8")).toBe("");
  });
});

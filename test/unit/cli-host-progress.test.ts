import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createOutput } from "../../src/cli/output.js";
import { HostError } from "../../src/errors.js";
import type { HostWork } from "../../src/output/port.js";

/** A stream that keeps what is written, and says it is (or is not) a terminal. */
function stream(isTTY: boolean, columns = 100): PassThrough & { isTTY: boolean; text: () => string } {
  const s = new PassThrough() as PassThrough & { isTTY: boolean; columns: number; text: () => string };
  let text = "";
  s.on("data", (c: Buffer) => {
    text += c.toString();
  });
  s.isTTY = isTTY;
  s.columns = columns;
  s.text = () => text;
  return s;
}

const HOSTS = ["node1", "node2", "node3", "node4", "node5"];

/** node1 succeeds (after node2 has failed), node2 throws a plain Error, node3 a HostError, node4 a TypeError, node5 a string. */
const work =
  (host: string): HostWork<string> =>
  async (update) => {
    update("connecting");
    await new Promise((resolve) => setTimeout(resolve, host === "node1" ? 30 : 1));
    if (host === "node2") throw new Error("Not connected");
    if (host === "node3") throw new HostError("node3", "connection lost while gathering facts");
    if (host === "node4") throw new TypeError("Cannot read properties of undefined (reading 'cpus')");
    if (host === "node5") throw "a string";
    return { result: `facts of ${host}`, summary: "ok" };
  };

describe.each([
  ["without a terminal (CI logs, pipes)", false],
  ["on a terminal (listr2)", true],
])("Output.hostProgress %s", (_title, tty) => {
  it("returns every host's outcome when hosts throw, and the others still finish", async () => {
    const stdout = stream(tty);
    const stderr = stream(tty);
    const out = createOutput({ stdout, stderr, env: {} });
    const outcomes = await out.hostProgress(HOSTS, work);
    expect([...outcomes.keys()]).toEqual(HOSTS);
    expect(outcomes.get("node1")).toEqual({ ok: true, result: "facts of node1" });
    const failed = (h: string) => {
      const o = outcomes.get(h);
      return o && !o.ok ? o.error : undefined;
    };
    expect(failed("node2")?.message).toBe("Not connected");
    expect(failed("node3")).toBeInstanceOf(HostError);
    expect(failed("node4")).toBeInstanceOf(TypeError);
    expect(failed("node5")?.message).toBe("a string");
    const shown = tty ? stderr.text() : stdout.text();
    expect(shown).toContain("node1: ok");
    expect(shown).toContain("node2: failed: Not connected");
    expect(shown).toContain("node3: failed: connection lost while gathering facts");
    expect(shown).not.toContain("node3: failed: node3:");
  });

  it("prints no progress line with --json", async () => {
    const stdout = stream(tty);
    const stderr = stream(tty);
    const out = createOutput({ json: true, stdout, stderr, env: {} });
    const outcomes = await out.hostProgress(HOSTS, work);
    expect(outcomes.size).toBe(HOSTS.length);
    expect(stdout.text()).toBe("");
    expect(stderr.text()).toBe("");
  });
});

describe("Output.hostProgress on a terminal", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const run = async (color: boolean | undefined) => {
    // listr2 paints by itself when FORCE_COLOR is set: np's own decision (here --no-color) must win.
    vi.stubEnv("FORCE_COLOR", "1");
    const stdout = stream(true);
    // A pty nobody sized reports 0 columns: listr2 would then wrap after every character.
    const stderr = stream(true, 0);
    const out = createOutput({ color, stdout, stderr, env: {} });
    await out.hostProgress(["node1", "node2"], (host) => async () => {
      if (host === "node2") throw new Error("boom");
      out.info("a line for stdout");
      return { result: 1, summary: "ok" };
    });
    return { stdout: stdout.text(), stderr: stderr.text() };
  };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
  const colour = /\x1b\[(3\d|9\d)m/;

  it("draws on stderr, and keeps what was written to stdout meanwhile", async () => {
    const { stdout, stderr } = await run(undefined);
    expect(stderr).toContain("node2: failed: boom");
    expect(stderr).toMatch(colour);
    expect(stdout).toContain("a line for stdout");
  });

  it("draws without colours under --no-color", async () => {
    const { stderr } = await run(false);
    expect(stderr).toContain("node2: failed: boom");
    expect(stderr).not.toMatch(colour);
  });
});

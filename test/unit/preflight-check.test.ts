import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createOutput } from "../../src/cli/output.js";
import { HostError, Interrupted } from "../../src/errors.js";
import type { HostSpec } from "../../src/inventory/index.js";
import { checkEachHost, type FactsProbe } from "../../src/preflight/check.js";
import { parseFacts } from "../../src/preflight/parse-facts.js";
import { ConnectionLost } from "../../src/remote/connection-loss.js";

const facts = parseFacts(
  readFileSync(new URL("../fixtures/facts/facts-output.sandbox-node.txt", import.meta.url), "utf8"),
  "5f0c6e2a9b31d8e7",
);

function host(name: string, n: number): HostSpec {
  return {
    name,
    address: `10.0.0.${n}`,
    privateAddress: `10.0.0.${n}`,
    roles: ["client"],
    labels: {},
    meta: {},
    ssh: { user: "root", port: 22, connectTimeoutSec: 10 },
  } as HostSpec;
}
const inv = { hosts: [host("node1", 1), host("node2", 2), host("node3", 3)], preflightOverrides: {} };

/** An Output whose lines are collected; `terminal` makes it interactive (listr2's live list). */
function output(terminal: boolean) {
  let text = "";
  const sink = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    }),
    { isTTY: terminal },
  );
  return { out: createOutput({ stdout: sink, stderr: sink, color: false }), text: () => text };
}

describe.each([false, true])("np check's per-host results (terminal: %s)", (terminal) => {
  it("reports each host's own result when one host throws a plain Error and another a HostError", async () => {
    const probe: FactsProbe = async (h) => {
      if (h.name === "node1") throw new Error("Not connected");
      if (h.name === "node3") throw new ConnectionLost("node3", "closed by the host", "gathering facts");
      return { facts, clockOffsetMs: 3 };
    };
    const { out } = output(terminal);
    const verdicts = await checkEachHost(inv, out, probe);
    expect(verdicts.map((v) => [v.name, v.ok, v.unreachable])).toEqual([
      ["node1", false, "Not connected"],
      ["node2", true, undefined],
      [
        "node3",
        false,
        "connection lost while gathering facts: closed by the host (check that node3 is up and reachable, then run np again: `np up` continues where it stopped)",
      ],
    ]);
  });

  it("lets a programming error through as itself, after every host has finished", async () => {
    let finished = 0;
    const probe: FactsProbe = async (h) => {
      if (h.name === "node2") throw new TypeError("Cannot read properties of undefined (reading 'facts')");
      await new Promise((r) => setTimeout(r, 20));
      finished++;
      return { facts, clockOffsetMs: 0 };
    };
    const err = await checkEachHost(inv, output(terminal).out, probe).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).not.toBeInstanceOf(HostError);
    expect(finished).toBe(2);
  });

  it("lets Ctrl-C through as Interrupted", async () => {
    const probe: FactsProbe = async () => {
      throw new Interrupted();
    };
    await expect(checkEachHost(inv, output(terminal).out, probe)).rejects.toBeInstanceOf(Interrupted);
  });
});

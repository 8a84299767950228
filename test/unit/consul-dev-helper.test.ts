// The contract tests' Consul dev agent helper: an agent that dies before it serves is started again on fresh
// ports, and after the last attempt the failure says what happened and what the agent printed.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startConsulDev } from "../helpers/consul-dev.js";

const dir = mkdtempSync(path.join(tmpdir(), "np-consul-dev-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("startConsulDev", () => {
  it("retries an agent that exits before it serves, then fails with its output", async () => {
    const binary = path.join(dir, "consul");
    writeFileSync(binary, `#!/bin/sh\necho "bind: address already in use" >&2\nexit 3\n`);
    chmodSync(binary, 0o755);
    const err = await startConsulDev({ binary }).catch((e: Error) => e);
    expect(String(err)).toMatch(/did not start: exited with 3 before it served \(attempt 4\)/);
    expect(String(err)).toContain("bind: address already in use");
  });
});

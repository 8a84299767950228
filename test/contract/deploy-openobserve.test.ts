// Contract test of `np logs --since`'s query: np's OpenObserve search (root user from .np/secrets, through a
// dispatcher as the CLI's SSH tunnel would be) against the OpenObserve TEST DOUBLE's `_search`, on records shaped
// as np-agent ships them to the `nomad_logs` stream.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openobserveSearchOver } from "../../src/deploy/openobserve-search.js";
import type { Inventory } from "../../src/inventory/types.js";
import { generatePassword } from "../../src/secrets/index.js";
import { freePort } from "../helpers/consul-dev.js";

const DOUBLE = fileURLToPath(new URL("../doubles/openobserve-double.mjs", import.meta.url));
const EMAIL = "admin@np.local";
// As np up generates it (.np/secrets holds only passwords np made).
const PASSWORD = generatePassword();
const work = mkdtempSync(path.join(tmpdir(), "np-deploy-o2-"));

/** An inventory whose folder holds .np/secrets/openobserve-root (as `np up` leaves it). */
function inventoryWith(password: string | null): Inventory {
  const dir = mkdtempSync(path.join(work, "inv-"));
  if (password !== null) {
    mkdirSync(path.join(dir, ".np", "secrets"), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(dir, ".np", "secrets", "openobserve-root"), `${password}\n`, { mode: 0o600 });
  }
  return { dir, openobserve: {}, hosts: [] } as unknown as Inventory;
}

describe("np logs --since: the nomad_logs query against the OpenObserve double", () => {
  let proc: ChildProcess;
  let url = "";
  const dispatcher = new Agent();
  const now = Date.now() * 1000;
  const record = (job: string, alloc: string, stream: string, message: string, agoSec: number) => ({
    _timestamp: now - agoSec * 1e6,
    alloc_id: `${alloc}-0000-0000-0000-000000000000`,
    job,
    group: job,
    task: job,
    stream,
    node: alloc === "aaaaaaaa" ? "node1" : "node2",
    message,
  });

  beforeAll(async () => {
    const [port, grpc] = [await freePort(), await freePort()];
    proc = spawn(process.execPath, [DOUBLE], {
      env: {
        ...process.env,
        ZO_ROOT_USER_EMAIL: EMAIL,
        ZO_ROOT_USER_PASSWORD: PASSWORD,
        ZO_DATA_DIR: path.join(work, "data"),
        ZO_HTTP_ADDR: "127.0.0.1",
        ZO_HTTP_PORT: String(port),
        ZO_GRPC_PORT: String(grpc),
        ZO_TELEMETRY: "false",
      },
      stdio: "ignore",
    });
    url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const records = [
      record("web", "aaaaaaaa", "stdout", "web started", 600),
      record("web", "bbbbbbbb", "stdout", "web req /", 30),
      record("web", "aaaaaaaa", "stderr", "web oops", 20),
      record("api", "cccccccc", "stdout", "api started", 10),
      record("web", "aaaaaaaa", "stdout", "web req /health", 5),
    ];
    const r = await fetch(`${url}/api/default/nomad_logs/_json`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${EMAIL}:${PASSWORD}`).toString("base64")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(records),
    });
    expect(r.status).toBe(200);
  });

  afterAll(async () => {
    proc?.kill("SIGKILL");
    await dispatcher.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it("returns the job's stream in the window, oldest first, with alloc and node", async () => {
    const search = openobserveSearchOver(inventoryWith(PASSWORD), url, dispatcher);
    const q = {
      job: "web",
      task: "web",
      stream: "stdout" as const,
      startUs: now - 60e6,
      endUs: now + 1,
      limit: 100,
    };
    const hits = await search.search(q);
    expect(hits.map((h) => [h.message, h.alloc_id.slice(0, 8), h.node])).toEqual([
      ["web req /", "bbbbbbbb", "node2"],
      ["web req /health", "aaaaaaaa", "node1"],
    ]);
    expect((await search.search({ ...q, stream: "stderr" })).map((h) => h.message)).toEqual(["web oops"]);
    expect((await search.search({ ...q, startUs: now - 3600e6 })).map((h) => h.message)).toEqual([
      "web started",
      "web req /",
      "web req /health",
    ]);
    // The limit keeps the newest lines of a long window.
    expect((await search.search({ ...q, startUs: now - 3600e6, limit: 1 })).map((h) => h.message)).toEqual([
      "web req /health",
    ]);
    expect(await search.search({ ...q, job: "nothing" })).toEqual([]);
  });

  it("a wrong root password is OpenObserve's 401; a missing secret file says to run np up", async () => {
    const q = { job: "web", stream: "stdout" as const, startUs: 0, endUs: now, limit: 10 };
    await expect(
      openobserveSearchOver(inventoryWith(generatePassword()), url, dispatcher).search(q),
    ).rejects.toThrow(/OpenObserve API: \/api\/default\/_search returned HTTP 401/);
    await expect(openobserveSearchOver(inventoryWith(null), url, dispatcher).search(q)).rejects.toThrow(
      /no OpenObserve password in .*openobserve-root/,
    );
  });
});

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RotationStore } from "../../src/rotate/store.js";
import {
  isTemporary,
  removeStaleTemporaries,
  replacePrivateFileAtomically,
} from "../../src/secrets/atomic-create.js";
import { SecretStore } from "../../src/secrets/index.js";

const tmpDir = () => mkdtempSync(path.join(os.tmpdir(), "np-atomic-"));

/** A pid no process has: one that just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(r.stdout.toString());
}

describe("private files written atomically", () => {
  it("replaces a file through one private temporary file and leaves none behind", async () => {
    const dir = tmpDir();
    const file = path.join(dir, "nomad-gossip");
    writeFileSync(file, "OLD\n", { mode: 0o600 });
    await replacePrivateFileAtomically(file, "NEW\n");
    expect(readFileSync(file, "utf8")).toBe("NEW\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["nomad-gossip"]);
  });

  it("tells np's temporary names from secrets' names", () => {
    expect(isTemporary(`.nomad-gossip.tmp-${process.pid}-da69316e55ab`)).toBe(true);
    expect(isTemporary("nomad-gossip.tmp-16353")).toBe(true); // the name np used before
    for (const name of ["nomad-gossip", "consul-gossip", "cluster-ca.crt", "consul-server-node1.key"])
      expect(isTemporary(name), name).toBe(false);
  });

  it("removes the temporary files of a killed run, not those of a live one, nor any secret", async () => {
    const dir = tmpDir();
    const dead = `.nomad-gossip.tmp-${deadPid()}-da69316e55ab`;
    const older = `consul-gossip.tmp-${deadPid()}`;
    const live = `.consul-gossip.tmp-${process.pid}-0123456789ab`;
    for (const n of [dead, older, live, "nomad-gossip"])
      writeFileSync(path.join(dir, n), "K\n", { mode: 0o600 });
    expect((await removeStaleTemporaries(dir)).sort()).toEqual([dead, older].sort());
    expect(readdirSync(dir).sort()).toEqual([live, "nomad-gossip"].sort());
  });

  it("a rotation under way is read from the secrets' names only; a killed run's temporary file is cleared", async () => {
    // CI: np rotate gossip SIGKILLed while it wrote retiring/nomad-gossip left `.nomad-gossip.tmp-<pid>-<hex>`.
    const state = tmpDir();
    const store = new RotationStore(state);
    const retiring = path.join(store.dir, "retiring");
    mkdirSync(retiring, { recursive: true, mode: 0o700 });
    const leftover = `.nomad-gossip.tmp-${deadPid()}-da69316e55ab`;
    writeFileSync(path.join(retiring, leftover), "OLD\n", { mode: 0o600 });
    expect(await store.underWay()).toEqual({ rotating: [], retiring: [] });
    expect(readdirSync(retiring)).toEqual([]);
  });

  it("loading the secrets clears a killed run's temporary copy of one", async () => {
    const state = tmpDir();
    const store = new SecretStore(state);
    mkdirSync(store.dir, { recursive: true, mode: 0o700 });
    const leftover = `.consul-gossip.tmp-${deadPid()}-0123456789ab`;
    writeFileSync(path.join(store.dir, leftover), "KEY\n", { mode: 0o600 });
    await store.load([]);
    expect(readdirSync(store.dir)).toEqual([]);
  });
});

import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { POLICY_CACHE_FILE, PolicyCache } from "../../src/cluster/policy-cache.js";

const policy = (id: string, index: number, rules = 'node_prefix "" { policy = "read" }') => ({
  ID: id,
  Name: `np-${id}`,
  Description: "np",
  Rules: rules,
  ModifyIndex: index,
});
const listed = (id: string, index: number) => ({
  ID: id,
  Name: `np-${id}`,
  Description: "np",
  ModifyIndex: index,
});

describe("np's cache of the Consul policies it read in full", () => {
  it("answers for a listed policy only at the ModifyIndex it was read at, across runs, from a 0600 file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "np-pc-"));
    const c = await PolicyCache.load(dir);
    expect(c.get(listed("a", 7))).toBeUndefined();
    c.put(policy("a", 7));
    await c.save();
    expect(statSync(path.join(dir, POLICY_CACHE_FILE)).mode & 0o777).toBe(0o600);
    const next = await PolicyCache.load(dir);
    expect(next.get(listed("a", 7))).toEqual(policy("a", 7));
    expect(next.get(listed("a", 8))).toBeUndefined();
    expect(next.get({ ID: "a", Name: "np-a", Description: "np" })).toBeUndefined();
    expect(next.get(listed("b", 7))).toBeUndefined();
  });

  it("writes nothing when nothing new was read, and counts a file it cannot use as empty", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "np-pc-"));
    const file = path.join(dir, POLICY_CACHE_FILE);
    await (await PolicyCache.load(dir)).save();
    expect(() => statSync(file)).toThrow();
    writeFileSync(file, "{not json", { mode: 0o600 });
    expect((await PolicyCache.load(dir)).get(listed("a", 7))).toBeUndefined();
    // An entry filed under another policy's ID is not taken for it.
    writeFileSync(file, JSON.stringify({ b: { index: 7, policy: policy("a", 7) } }), { mode: 0o600 });
    expect((await PolicyCache.load(dir)).get(listed("b", 7))).toBeUndefined();
    const c = await PolicyCache.load(dir);
    c.put(policy("c", 3));
    await c.save();
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")))).toEqual(["c"]);
  });
});

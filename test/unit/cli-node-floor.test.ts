import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isOlderNode, NODE_FLOOR } from "../../src/cli/node-floor.js";
import { npBin } from "../helpers/run-np.js";

const repo = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as {
  engines: { node: string };
};

describe("the Node floor", () => {
  it("is the one package.json's engines declares", () => {
    expect(pkg.engines.node).toBe(`>=${NODE_FLOOR}`);
  });

  it.each([
    ["22.14.0", true],
    ["v22.18.9", true],
    ["20.19.2", true],
    ["22.19.0", false],
    ["22.20.0", false],
    ["v24.22.3", false],
    ["23.0.0", false],
  ])("Node %s is older than the floor: %s", (version, older) => {
    expect(isOlderNode(version, "22.19.0")).toBe(older);
  });

  // .ci/run installs Node 22.14 (np crashed on it while claiming >=22); the machines' own node is 20 (design.md).
  const oldNode = process.env.NP_OLD_NODE || "/usr/bin/node";
  const oldVersion = existsSync(oldNode)
    ? execFileSync(oldNode, ["--version"], { encoding: "utf8" }).trim()
    : "";
  const haveOld = oldVersion !== "" && isOlderNode(oldVersion);
  if (!haveOld && process.env.CI !== "true")
    console.log(`skipped: no Node older than ${NODE_FLOOR} at ${oldNode} (set NP_OLD_NODE) to run np with`);
  it.skipIf(!haveOld && process.env.CI !== "true")(
    `the built np refuses a Node older than ${NODE_FLOOR} with a clear error`,
    () => {
      expect(haveOld, `a Node older than ${NODE_FLOOR} at ${oldNode}`).toBe(true);
      const r = spawnSync(oldNode, [npBin, "--version"], { encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`error: np needs Node.js ${NODE_FLOOR} or later; this is ${oldVersion}\n`);
      expect(r.stdout).toBe("");
    },
  );
});

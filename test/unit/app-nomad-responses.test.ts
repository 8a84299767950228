import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { structErrors } from "./app-nomad-structs.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../fixtures/app", name), "utf8"));

/** Fields the server's responses carry beyond api/*.go: nomad/structs encodes them (WriteMeta, server-side state). */
const SERVER_ONLY = {
  JobPlanResponse: ["Index"],
  Deployment: ["EvalPriority"],
  DeploymentState: ["AutoPromote"],
  AllocationListStub: ["DesiredTransition"],
};

describe("the app tests' Nomad fixtures use Nomad's field names and kinds", () => {
  it.each([
    ["plan.update.json", "JobPlanResponse"],
    ["plan.no-change.json", "JobPlanResponse"],
    ["plan.in-place-scale-down.json", "JobPlanResponse"],
    ["deployment.failed-reverted.json", "Deployment"],
    ["deployment.running-canary.json", "Deployment"],
    ["deployment.successful.json", "Deployment"],
    ["evaluation.blocked.json", "Evaluation"],
  ])("%s is a %s", (file, root) => {
    expect(structErrors(fixture(file), root, { allowNull: true, serverOnly: SERVER_ONLY })).toEqual([]);
  });

  it.each([
    ["allocations.failed-reverted.json", "AllocationListStub"],
    ["allocations.running-canary.json", "AllocationListStub"],
    ["nodes.mixed-drivers.json", "NodeListStub"],
  ])("%s is a list of %s", (file, root) => {
    for (const item of fixture(file))
      expect(structErrors(item, root, { allowNull: true, serverOnly: SERVER_ONLY })).toEqual([]);
  });
});

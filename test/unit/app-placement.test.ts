// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${node.class} and ${meta.k} are Nomad's constraint attributes
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { explainPlacementFailures, formatPlacementFailures } from "../../src/app/index.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../fixtures/app", name), "utf8"));
const app = { driver: "docker" as const, cpu: 100, memoryMb: 512 };

describe("explainPlacementFailures", () => {
  it("names the filters (placement labels, drivers) and the exhausted resources of an evaluation", () => {
    const failures = explainPlacementFailures(fixture("evaluation.blocked.json").FailedTGAllocs, app);
    expect(failures).toEqual([
      {
        group: "web",
        unplaced: 3,
        reasons: [
          "2 nodes excluded by placement.labels disk=ssd (their Nomad meta differs)",
          "1 node without a healthy docker driver",
          "memory exhausted on 1 node (each instance needs 512 MB)",
          "port collision on 1 node",
        ],
      },
    ]);
    expect(formatPlacementFailures(failures)).toEqual([
      'group "web": 3 instances not placed: 2 nodes excluded by placement.labels disk=ssd (their Nomad meta differs); 1 node without a healthy docker driver; memory exhausted on 1 node (each instance needs 512 MB); port collision on 1 node',
    ]);
  });

  it("explains Nomad's doc sample (a plan's FailedTGAllocs) without knowing the app", () => {
    const failures = explainPlacementFailures(
      fixture("jobs__create-job-plan__sample-response.json").FailedTGAllocs,
    );
    expect(formatPlacementFailures(failures)).toEqual([
      'group "cache": 4 instances not placed: CPU exhausted on 1 node',
    ]);
  });

  it("says when no client has the driver at all, or none is available, or the node class does not match", () => {
    const one = (metric: object) => explainPlacementFailures({ web: metric }, app)[0]?.reasons;
    expect(
      one({ NodesEvaluated: 3, NodesFiltered: 3, ConstraintFiltered: { "missing drivers": 3 } }),
    ).toEqual(["no client has a healthy docker driver (3 nodes filtered)"]);
    expect(one({ NodesEvaluated: 0, NodesAvailable: { dc1: 0 } })).toEqual([
      'no client node is available in datacenter "dc1"',
    ]);
    expect(one({ NodesEvaluated: 0, NodesAvailable: { dc1: 2 } })).toEqual([
      "no client node was eligible to run it",
    ]);
    expect(
      one({
        NodesEvaluated: 4,
        NodesFiltered: 4,
        ConstraintFiltered: { "${node.class} = web": 1, "computed class ineligible": 2, distinct_hosts: 1 },
      }),
    ).toEqual([
      '1 node excluded by placement.node_class "web" (their node_class differs)',
      "2 nodes skipped: same class as nodes already filtered out",
      "1 node filtered out: distinct_hosts",
    ]);
    expect(one({ NodesEvaluated: 2, NodesExhausted: 2, DimensionExhausted: { cpu: 2 } })).toEqual([
      "CPU exhausted on 2 nodes (each instance needs 100 MHz)",
    ]);
    expect(one({ NodesEvaluated: 2, NodesExhausted: 2, QuotaExhausted: ["memory"] })).toEqual([
      "resources exhausted on 2 nodes",
      "quota limit reached: memory",
    ]);
    expect(one({ NodesEvaluated: 1 })).toEqual(["Nomad gave no reason"]);
    expect(explainPlacementFailures(null)).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import type { HostRun } from "../../src/cluster/context.js";
import { stageOn } from "../../src/cluster/migrate/detect-stages.js";
import { CONSUL } from "../../src/components/consul/index.js";
import {
  CONSUL_FINAL_STAGE,
  consulSecurityAt,
  consulStageOf,
} from "../../src/components/consul/migrate-stages.js";
import { desiredHost } from "../../src/components/index.js";
import { HostError } from "../../src/errors.js";
import { host, inventory, SECRETS } from "./render-fixtures.js";

/** A host of `roles` whose consul.hcl on disk differs from np's render for it (another role's, say). */
function hostWithOtherFile(roles: ("server" | "client")[]): HostRun {
  const spec = host("node6", 16, roles);
  const inv = inventory([host("s1", 11, ["server"]), host("s2", 12, ["server"]), spec]);
  return {
    spec,
    state: { paths: new Map([[CONSUL.config, { kind: "file", sha256: "0".repeat(64) }]]) },
    desired: desiredHost(inv, spec, SECRETS),
  } as unknown as HostRun;
}

describe("a host that changes its role (a client made a server to replace a lost one)", () => {
  it("with the other role's final settings is at the final stage: its new role's files are rendered", async () => {
    const asClient = async () => consulSecurityAt(CONSUL_FINAL_STAGE, false);
    // What the server's own stages alone would say: none, and np refused such a replacement.
    expect(consulStageOf(await asClient(), true)).toBeNull();
    expect(
      await stageOn(
        hostWithOtherFile(["server"]),
        CONSUL.config,
        CONSUL_FINAL_STAGE,
        asClient,
        consulStageOf,
      ),
    ).toBe(CONSUL_FINAL_STAGE);
    const asServer = async () => consulSecurityAt(CONSUL_FINAL_STAGE, true);
    expect(
      await stageOn(
        hostWithOtherFile(["client"]),
        CONSUL.config,
        CONSUL_FINAL_STAGE,
        asServer,
        consulStageOf,
      ),
    ).toBe(CONSUL_FINAL_STAGE);
  });

  it("settings of no stage of either role are still refused, naming the host", async () => {
    const handMade = async () => ({
      ...consulSecurityAt(CONSUL_FINAL_STAGE, true),
      verify_incoming: "maybe",
    });
    await expect(
      stageOn(hostWithOtherFile(["server"]), CONSUL.config, CONSUL_FINAL_STAGE, handMade, consulStageOf),
    ).rejects.toBeInstanceOf(HostError);
  });
});

import path from "node:path";
import type { RunContext } from "../cluster/context.js";
import {
  type CaRotationStage,
  caRotationStage,
  dropTrustedCa,
  endCaRotation,
  enterCaRotationStage,
  nextCa,
  promoteNextCa,
} from "../pki/ca-rotation.js";
import { PkiStore } from "../pki/store.js";
import { convergePass } from "./pass.js";
import type { RotationReport } from "./report.js";

/**
 * Replaces the cluster CA with the old and the new one trusted side by side while the leaves change, so no
 * connection is ever refused: (1) a new CA is made and every host trusts both (the CA files rewritten, the
 * services reloaded); (2) the new CA signs: every leaf is issued again by it and the servers reload, one at a
 * time behind their health gates (each must then serve its new certificate); (3) the old CA is trusted no more.
 * Reloads only, no restart: the quorum is never at risk. The stage reached is kept in .np/secrets/ca-rotation:
 * an interrupted run goes on from its start.
 */
export async function rotateCa(ctx: RunContext, report: RotationReport): Promise<void> {
  const store = new PkiStore(path.join(ctx.inv.dir, ".np"));
  let stage: CaRotationStage | undefined = await caRotationStage(store);
  const say = (message: string) => ctx.out.info(message);
  if (stage === undefined || stage === "trust-both") {
    await nextCa(store, ctx.inv.cluster.name);
    await enterCaRotationStage(store, "trust-both");
    say("CA rotation 1/3: a new cluster CA is made; every host trusts the old and the new one");
    await convergePass(ctx);
    stage = "new-signs";
    await enterCaRotationStage(store, stage);
  }
  if (stage === "new-signs") {
    await promoteNextCa(store);
    say(
      "CA rotation 2/3: the new CA signs; every certificate is issued again by it (the old CA still trusted)",
    );
    await convergePass(ctx);
    stage = "drop-old";
    await enterCaRotationStage(store, stage);
  }
  say("CA rotation 3/3: the old CA is trusted no more");
  await dropTrustedCa(store);
  await convergePass(ctx);
  await endCaRotation(store);
  for (const h of ctx.hosts)
    report.host(h.spec.name, "trusts only the new cluster CA; its certificates are the new CA's");
}

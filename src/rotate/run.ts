import path from "node:path";
import type { Change } from "../cluster/changes.js";
import type { RunContext } from "../cluster/context.js";
import { withCluster } from "../cluster/run.js";
import { OperationError } from "../errors.js";
import type { Inventory } from "../inventory/index.js";
import type { Output } from "../output/port.js";
import { caRotationStage } from "../pki/ca-rotation.js";
import { PkiStore } from "../pki/store.js";
import { rotateCa } from "./ca.js";
import { rotateGossipKeys } from "./gossip.js";
import { requireConverged, requireHealthy } from "./preconditions.js";
import { CREDENTIALS } from "./registry.js";
import { RotationReport } from "./report.js";
import { RotationStore } from "./store.js";
import { rotateTokens } from "./tokens.js";

/** What `np rotate` replaces. */
export const ROTATIONS = ["gossip", "ca", "tokens"] as const;
export type Rotation = (typeof ROTATIONS)[number];

export interface RotateOptions {
  quorumTimeoutMs?: number;
  onChange?: (change: Change) => void;
}

export interface RotateResult {
  rotation: Rotation;
  report: RotationReport;
  changes: Change[];
}

/** The secret names a gossip rotation keeps under rotating/ and retiring/ while it is under way. */
const gossipSecrets = () => CREDENTIALS.flatMap((c) => (c.gossip ? [c.gossip.secret.name] : []));

/** The secret names a token rotation keeps there. */
const tokenSecrets = (inv: Inventory) =>
  CREDENTIALS.flatMap((c) => (c.tokens ? c.tokens.tokens(inv).map((s) => s.name) : []));

/** Which rotations are under way (interrupted, or stopped by a refusal), from .np/secrets. */
async function underWay(inv: Inventory): Promise<Set<Rotation>> {
  const stateDir = path.join(inv.dir, ".np");
  const files = await new RotationStore(stateDir).underWay();
  const names = new Set([...files.rotating, ...files.retiring]);
  const found = new Set<Rotation>();
  if (gossipSecrets().some((n) => names.has(n))) found.add("gossip");
  if (tokenSecrets(inv).some((n) => names.has(n))) found.add("tokens");
  if ((await caRotationStage(new PkiStore(stateDir))) !== undefined) found.add("ca");
  return found;
}

async function rotateIn(ctx: RunContext, rotation: Rotation, report: RotationReport): Promise<void> {
  if (rotation === "ca") return rotateCa(ctx, report);
  const running = CREDENTIALS.filter((cred) =>
    ctx.hosts.some((h) => h.desired.components.some((c) => c.name === cred.component)),
  );
  // Consul's and Nomad's tokens in one pass: np-agent's config holds both, so it restarts once.
  if (rotation === "tokens")
    return rotateTokens(
      ctx,
      running.flatMap((c) => (c.tokens ? [c.tokens] : [])),
      report,
    );
  if (rotation === "gossip")
    await rotateGossipKeys(
      ctx,
      running.flatMap((c) => (c.gossip ? [{ ...c, gossip: c.gossip }] : [])),
      report,
    );
}

/**
 * `np rotate <gossip|ca|tokens>`: holds the cluster lock like `np up`, reads every host, and rotates on a healthy
 * cluster that `np up` has converged (a rotation under way goes on instead; another kind under way must finish
 * first). Every change passes np up's gate and is reported as it is made.
 */
export async function rotate(
  inv: Inventory,
  out: Output,
  signal: AbortSignal,
  rotation: Rotation,
  opts: RotateOptions = {},
): Promise<RotateResult> {
  const pending = await underWay(inv);
  const other = [...pending].find((r) => r !== rotation);
  if (other)
    throw new OperationError(
      `a ${{ ca: "CA", gossip: "gossip", tokens: "token" }[other]} rotation is under way (interrupted or stopped): it must finish first`,
      `run \`np rotate ${other}\` (it goes on from where it stopped), then \`np rotate ${rotation}\``,
    );
  const report = new RotationReport(out);
  return withCluster(
    inv,
    out,
    signal,
    { dryRun: false, command: `np rotate ${rotation}`, ...opts },
    async (ctx) => {
      await requireHealthy(ctx, ["consul", "nomad"]);
      if (pending.has(rotation))
        out.info(`a ${rotation} rotation is under way: going on from where it stopped`);
      else requireConverged(ctx);
      await rotateIn(ctx, rotation, report);
      return { rotation, report, changes: ctx.gate.changes };
    },
  );
}

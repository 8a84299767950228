import { isServer } from "../../components/servers.js";
import type { Phase } from "../context.js";
import { actionFor, startComponents } from "./start-services.js";

/**
 * On a fresh cluster, Nomad's servers start before the rest: np bootstraps Nomad's ACLs once they elect a leader
 * and makes the tokens the other hosts' files need (np-agent's), then the rest starts with them. Later runs start
 * nothing here (restarts are start-services' work, behind the quorum gate).
 */
export const startNomadServers: Phase = {
  title: "start Nomad servers",
  run: (ctx) =>
    startComponents(ctx, (c, h) => c.name === "nomad" && isServer(h.spec) && actionFor(h, c) === "start"),
};

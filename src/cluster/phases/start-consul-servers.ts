import { isServer } from "../../components/servers.js";
import type { Phase } from "../context.js";
import { actionFor, startComponents } from "./start-services.js";

/**
 * On a fresh cluster, Consul's servers start first, alone: their clients cannot start before the ACL tokens exist
 * (a client agent asks the servers for its TLS certificate, auto_encrypt, with its own token, and systemd waits
 * for it), and the tokens can only be made once the servers have a leader. Later runs start nothing here.
 */
export const startConsulServers: Phase = {
  title: "start Consul servers",
  run: (ctx) =>
    startComponents(ctx, (c, h) => c.name === "consul" && isServer(h.spec) && actionFor(h, c) === "start"),
};

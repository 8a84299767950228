import type { HostSpec, Inventory } from "../inventory/index.js";
import type { ClusterSecrets } from "../secrets/index.js";
import { HOST_PATHS } from "./paths.js";
import { SYSTEM_USERS } from "./system-users.js";
import { renderTemplate } from "./template.js";
import type { DesiredFile } from "./types.js";
import { consulView, nomadView, runsNomad } from "./views.js";

/**
 * The files np keeps on one host: Consul's config and unit everywhere, Nomad's where Nomad runs. The output depends
 * only on the arguments (no timestamps, fixed key order), so np can compare checksums to find what changed.
 */
export function desiredFiles(inv: Inventory, host: HostSpec, secrets: ClusterSecrets): DesiredFile[] {
  const consulUser = SYSTEM_USERS[0];
  if (consulUser === undefined) throw new Error("SYSTEM_USERS lists no consul user");
  const secretValues = [secrets.consulGossipKey, secrets.nomadGossipKey];
  // Derived from the content itself, so a secret added to a template later cannot be printed by mistake.
  const holdsSecret = (content: string) => secretValues.some((s) => content.includes(s));

  const consulConfig = renderTemplate("consul.hcl", consulView(inv, host, secrets));
  const files: DesiredFile[] = [
    {
      path: HOST_PATHS.consulConfig,
      content: consulConfig,
      mode: "0640",
      owner: "root",
      group: consulUser.group,
      restarts: ["consul"],
      secret: holdsSecret(consulConfig),
    },
    unit(
      HOST_PATHS.consulUnit,
      renderTemplate("consul.service", {
        user: consulUser.name,
        group: consulUser.group,
        binary: HOST_PATHS.consulBinary,
        configDir: HOST_PATHS.consulConfigDir,
      }),
      "consul",
    ),
  ];
  if (runsNomad(host)) {
    const nomadConfig = renderTemplate("nomad.hcl", nomadView(inv, host, secrets));
    files.push(
      {
        path: HOST_PATHS.nomadConfig,
        content: nomadConfig,
        mode: "0600",
        owner: "root",
        group: "root",
        restarts: ["nomad"],
        secret: holdsSecret(nomadConfig),
      },
      unit(
        HOST_PATHS.nomadUnit,
        renderTemplate("nomad.service", {
          binary: HOST_PATHS.nomadBinary,
          configDir: HOST_PATHS.nomadConfigDir,
        }),
        "nomad",
      ),
    );
  }
  return files;
}

function unit(path: string, content: string, service: "consul" | "nomad"): DesiredFile {
  return { path, content, mode: "0644", owner: "root", group: "root", restarts: [service], secret: false };
}

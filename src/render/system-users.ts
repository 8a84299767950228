import type { HostSpec } from "../inventory/index.js";
import { HOST_PATHS } from "./paths.js";
import type { DesiredDir, SystemUser } from "./types.js";
import { runsNomad } from "./views.js";

/** Accounts np creates on every host: Consul runs as `consul` (Nomad runs as root). */
export const SYSTEM_USERS: readonly SystemUser[] = [
  {
    name: "consul",
    group: "consul",
    system: true,
    home: HOST_PATHS.consulDataDir,
    shell: "/usr/sbin/nologin",
  },
];

/** The directories np keeps on a host: Consul's everywhere, Nomad's where Nomad runs. */
export function desiredDirs(host: HostSpec): DesiredDir[] {
  const dirs: DesiredDir[] = [
    { path: HOST_PATHS.consulDataDir, mode: "0750", owner: "consul", group: "consul" },
    { path: HOST_PATHS.consulConfigDir, mode: "0750", owner: "root", group: "consul" },
  ];
  if (runsNomad(host)) {
    dirs.push(
      { path: HOST_PATHS.nomadDataDir, mode: "0700", owner: "root", group: "root" },
      { path: HOST_PATHS.nomadConfigDir, mode: "0700", owner: "root", group: "root" },
    );
  }
  return dirs;
}

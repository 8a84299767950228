/** What np installs on each host: agent configs and systemd units rendered from templates/, dirs and users. */

export type { ClusterSecrets } from "../secrets/index.js";
export { desiredFiles } from "./desired-files.js";
export { hclInt, hclString, hclStringList } from "./hcl.js";
export { CONSUL_LOCAL_HTTP, HOST_PATHS } from "./paths.js";
export { desiredDirs, SYSTEM_USERS } from "./system-users.js";
export { renderTemplate } from "./template.js";
export type { DesiredDir, DesiredFile, Service, SystemUser } from "./types.js";
export { compareVersions, consulHasUiConfig } from "./version.js";
export { runsNomad } from "./views.js";

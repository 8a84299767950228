/** Rendering of the files np installs: handlebars templates (templates/), HCL literals, secret-aware placement. */
export { hclInt, hclString, hclStringList } from "./hcl.js";
export { documentFile, type FilePlacement, renderFile } from "./render-file.js";
export { renderTemplate } from "./template.js";
export type { DesiredDir, DesiredFile, SystemUser } from "./types.js";
export { compareVersions, consulHasUiConfig } from "./version.js";

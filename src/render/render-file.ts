import { revealSecrets } from "../secrets/index.js";
import { renderTemplate } from "./template.js";
import type { DesiredFile } from "./types.js";

/** Where a rendered file goes and who restarts when it changes. */
export interface FilePlacement {
  path: string;
  mode: string;
  owner: string;
  group: string;
  restarts: string[];
  /** Units to reload (SIGHUP) when the content changes. */
  reloads?: string[];
}

/**
 * Renders templates/<template>.hbs into a desired file. Secrets in `data` are revealed for the template, and the
 * file is marked as holding a secret because its data held one: `np plan` never prints it.
 */
export function renderFile(template: string, data: object, placement: FilePlacement): DesiredFile {
  const { value, holdsSecret } = revealSecrets(data);
  return { ...placement, content: renderTemplate(template, value), secret: holdsSecret };
}

/** A desired file whose content is a serialised document (JSON, YAML), marked the same way. */
export function documentFile(
  data: unknown,
  serialise: (plain: unknown) => string,
  placement: FilePlacement,
): DesiredFile {
  const { value, holdsSecret } = revealSecrets(data);
  return { ...placement, content: serialise(value), secret: holdsSecret };
}

/** What np.yaml values may contain, so none can carry syntax into a Nomad job, a Traefik rule or a shell. */

const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";

/** A container image reference, per Docker's grammar: `[registry[:port]/]path[:tag][@sha256:digest]`. */
export const IMAGE = new RegExp(
  `^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
export const IMAGE_RULE =
  "use a reference such as ghcr.io/acme/web:1.4.2 (registry/path:tag or @sha256:digest)";

/** The tag of an image reference ("" when it has none), and whether it is pinned by digest. */
export function imageTag(image: string): { tag: string; digest: boolean } {
  const digest = image.includes("@sha256:");
  const name = image.split("@")[0] ?? "";
  const lastSlash = name.lastIndexOf("/");
  const colon = name.indexOf(":", lastSlash + 1);
  return { tag: colon < 0 ? "" : name.slice(colon + 1), digest };
}

/** A host name for a Traefik Host() rule: lowercase DNS labels separated by dots. */
export const DOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
export const DOMAIN_RULE = "use a lowercase host name such as web.example.com (no wildcards, no port)";

/** The path of the HTTP health check: starts with "/", URL characters only. */
export const HTTP_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
export const HTTP_PATH_RULE = 'start with "/" and use URL characters only, such as /healthz';

/** An artifact checksum as Nomad's go-getter checks it. */
export const SHA256_CHECKSUM = /^sha256:[a-f0-9]{64}$/;
export const SHA256_CHECKSUM_RULE = 'write "sha256:" and the 64 lowercase hex digits of the file\'s SHA-256';

/** A folder inside the task's folder (Nomad refuses destinations that escape it). */
export const RELATIVE_DEST = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/;
export const RELATIVE_DEST_RULE = 'use a relative folder inside the task folder, such as local/ (no "..")';

/** A program to run: a path, no control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
export const COMMAND = /^[^\u0000-\u001f\s][^\u0000-\u001f]*$/;
export const COMMAND_RULE =
  "use the program's path, such as local/web or /usr/bin/python3 (arguments go under args)";

/**
 * Nomad's own runtime variables, which np leaves for Nomad to fill in: `${NOMAD_PORT_http}`, `${NOMAD_ALLOC_ID}`,
 * `${node.unique.name}`, `${attr.cpu.arch}`, `${meta.rack}`.
 */
export function isNomadVariable(ref: string): boolean {
  return /^NOMAD_[A-Za-z0-9_]+$/.test(ref) || /^(node|attr|meta)\.[A-Za-z0-9_.-]+$/.test(ref);
}

import { accessSync, constants } from "node:fs";
import path from "node:path";
import { InputError } from "../errors.js";

/** The host programs np sandbox runs, with the Debian package that provides each. */
const TOOLS = {
  nspawn: { program: "systemd-nspawn", pkg: "systemd-container" },
  debootstrap: { program: "debootstrap", pkg: "debootstrap" },
  ip: { program: "ip", pkg: "iproute2" },
  mount: { program: "mount", pkg: "mount" },
  umount: { program: "umount", pkg: "mount" },
  nsenter: { program: "nsenter", pkg: "util-linux" },
  chroot: { program: "chroot", pkg: "coreutils" },
} as const;

export type ToolName = keyof typeof TOOLS;
/** Absolute paths of the host programs, resolved once. */
export type Tools = Record<ToolName, string>;

const EXTRA_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Finds an executable on PATH (and the sbin directories a non-login root shell may lack). */
export function findProgram(program: string, envPath = process.env.PATH ?? ""): string | undefined {
  const dirs = [...envPath.split(":").filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** What is missing for np sandbox on this host, one line each; empty when everything is there. */
export function missingRequirements(
  tools: readonly ToolName[] = Object.keys(TOOLS) as ToolName[],
  host = { platform: process.platform as string, uid: process.getuid?.() ?? -1 },
): string[] {
  if (host.platform !== "linux") return [`np sandbox needs Linux (this is ${host.platform})`];
  const missing: string[] = [];
  if (host.uid !== 0) missing.push("np sandbox needs root: run it with sudo");
  for (const name of tools) {
    const { program, pkg } = TOOLS[name];
    if (!findProgram(program)) missing.push(`${program} is not installed (Debian/Ubuntu package: ${pkg})`);
  }
  return missing;
}

/** Resolves the host programs or throws an InputError (exit 2) naming each missing one and how to install it. */
export function requireTools(tools: readonly ToolName[] = Object.keys(TOOLS) as ToolName[]): Tools {
  const missing = missingRequirements(tools);
  if (missing.length > 0) {
    const packages = [
      ...new Set(tools.filter((t) => !findProgram(TOOLS[t].program)).map((t) => TOOLS[t].pkg)),
    ];
    throw new InputError(
      "np sandbox cannot run on this host",
      missing,
      packages.length > 0
        ? `install them with: apt-get install -y ${packages.join(" ")}`
        : "np sandbox runs systemd-nspawn containers, which needs root on Linux",
    );
  }
  const resolved = {} as Tools;
  for (const name of Object.keys(TOOLS) as ToolName[])
    resolved[name] = findProgram(TOOLS[name].program) ?? TOOLS[name].program;
  return resolved;
}

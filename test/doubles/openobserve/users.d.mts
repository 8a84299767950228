// Types for the OpenObserve test double's user rules (unit tests).
export const EMAIL_RE: RegExp;
export function strongPassword(p: string): boolean;
export function versionAtLeast(version: string, min: string): boolean;
export function rootUserProblem(
  cfg: { rootEmail: string; rootPassword: string },
  version: string,
): { line: string; message: string } | null;

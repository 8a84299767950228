/** What .np/secrets holds of one token during a rotation (see RotationStore). */
export interface TokenFiles {
  /** `.np/secrets/<name>`: the token np and the hosts use now. */
  current?: string;
  /** `rotating/<name>`: the new token, saved before (np's SecretID) or as soon as (the system's) it exists. */
  next?: string;
  /** `retiring/<name>`: the old token, kept once the new one took its place, until it is deleted. */
  retiring?: string;
}

/**
 * What a token rotation still owes one token:
 * - `new`: a new token is to be made beside the old one;
 * - `made`: the new one is saved (and made, or to be made again: Consul's are made idempotently by their IDs);
 * - `switched`: the new one took the old one's place; the old one is still to be deleted;
 * - `skip`: nothing: np holds no such token (np up makes it), or the rotation is past its creations and this
 *   token is done (its old one deleted already).
 */
export type TokenStep = "new" | "made" | "switched" | "skip";

/**
 * The steps of a rotation from the files alone, so a run cut anywhere goes on where it stopped: the creations
 * all happen before the first switch, so once any token is switched (or none is under way but some were) no new
 * token is made; before that, every token np holds that has no new one yet gets one.
 */
export function planTokens(files: ReadonlyMap<string, TokenFiles>): Map<string, TokenStep> {
  const switching = [...files.values()].some((f) => f.retiring !== undefined);
  const plan = new Map<string, TokenStep>();
  for (const [name, f] of files) {
    if (f.retiring !== undefined) plan.set(name, f.next === undefined ? "switched" : "made");
    else if (f.next !== undefined) plan.set(name, "made");
    else plan.set(name, switching || f.current === undefined ? "skip" : "new");
  }
  return plan;
}

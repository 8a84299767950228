import { z } from "zod";
import { show } from "./show.js";

/** Schema building blocks shared by np's config files: each refuses a bad value with a message that quotes it. */

/** A string matching `re`; the message names the value, what it should be and the rule. */
export function matching(re: RegExp, what: string, rule: string) {
  return z.string().regex(re, { error: (iss) => `${show(iss.input)} is not a valid ${what}: ${rule}` });
}

/** A TCP port. */
export const port = z.number().int().min(1).max(65535);

/** An http(s) URL. */
export const httpUrl = z.url({
  protocol: /^https?$/,
  error: (iss) => `${show(iss.input)} is not an http:// or https:// URL`,
});

import { z } from "zod";
import { addressRule, isHostAddress, isIpAddress, show } from "./patterns.js";

/** Building blocks of the inventory schema: each refuses a bad value with a message that quotes it. */

/** A string matching `re`; the message names the value, what it should be and the rule. */
export function matching(re: RegExp, what: string, rule: string) {
  return z.string().regex(re, { error: (iss) => `${show(iss.input)} is not a valid ${what}: ${rule}` });
}

/** An IP address or a DNS host name. */
export const hostAddress = z
  .string()
  .refine(isHostAddress, { error: (iss) => `${show(iss.input)} ${addressRule(String(iss.input))}` });

/** An IPv4 or IPv6 address. */
export const ipAddress = z.string().refine(isIpAddress, {
  error: (iss) =>
    `${show(iss.input)} is not an IP address (Consul and Nomad bind to it, so a name will not do)`,
});

/** A local file or folder path: relative to the inventory's folder, `~` expanded. */
export const localPath = z
  .string()
  .min(1, { error: "must not be empty" })
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .refine((p) => !/[\u0000-\u001f]/.test(p), {
    error: (iss) => `${show(iss.input)} contains control characters`,
  });

/** A TCP port. */
export const port = z.number().int().min(1).max(65535);

/** A number of seconds to wait. */
export const seconds = z.number().positive().max(600);

/** An email address. */
export const email = z.email({ error: (iss) => `${show(iss.input)} is not a valid email address` });

/** An http(s) URL. */
export const httpUrl = z.url({
  protocol: /^https?$/,
  error: (iss) => `${show(iss.input)} is not an http:// or https:// URL`,
});

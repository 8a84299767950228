import { z } from "zod";
import { show } from "../yaml-config/show.js";
import { addressRule, isHostAddress, isIpAddress } from "./patterns.js";

/** Building blocks of the inventory schema: each refuses a bad value with a message that quotes it. */

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

/** A number of seconds to wait. */
export const seconds = z.number().positive().max(600);

/** An email address. */
export const email = z.email({ error: (iss) => `${show(iss.input)} is not a valid email address` });

import { isIP } from "node:net";

/**
 * What names and values may contain. Everything that can end up in a config file, a systemd unit or a remote
 * argv is restricted to what Nomad, Consul and DNS accept, so no inventory value can carry shell syntax.
 */

/** A lowercase DNS label: host names and the cluster name. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const DNS_LABEL_RULE = 'use 1-63 lowercase letters, digits or "-", not starting or ending with "-"';

/** Consul datacenter and Nomad region names (Consul lowercases datacenters and refuses other characters). */
export const DATACENTER = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const DATACENTER_RULE =
  'use 1-63 lowercase letters, digits, "_" or "-", starting with a letter or digit';

/** Nomad node_class. */
export const NODE_CLASS = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
export const NODE_CLASS_RULE = 'use 1-63 letters, digits, "_" or "-", not starting with "-"';

/** Keys of labels and meta. */
export const LABEL_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;
export const LABEL_KEY_RULE = 'use 1-63 letters, digits, "_", "." or "-", not starting with "." or "-"';

/** Values of labels and meta. */
export const LABEL_VALUE = /^[A-Za-z0-9_.:/-]{0,255}$/;
export const LABEL_VALUE_RULE = 'use at most 255 letters, digits, "_", ".", ":", "/" or "-"';

/** A login name on the hosts. */
export const SSH_USER = /^[a-z_][a-z0-9_.-]{0,31}$/;
export const SSH_USER_RULE =
  'use 1-32 lowercase letters, digits, "_", "." or "-", starting with a letter or "_"';

/** The name of an environment variable. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_NAME_RULE =
  'use letters, digits and "_", not starting with a digit (e.g. NP_SSH_PASSPHRASE)';

/** A release version such as 1.10.5 (no leading "v"). */
export const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
export const VERSION_RULE = 'use a release version such as 1.10.5, without a leading "v"';

/** A DNS name of one or more labels (letters, digits, "-"), at most 253 characters. */
export const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Whether `value` is an IPv4 or IPv6 address (without an IPv6 zone such as %eth0: no use across hosts). */
export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0 && !value.includes("%");
}

/** Whether `value` is a syntactically valid DNS host name (and not something that only looks like an IPv4). */
export function isHostName(value: string): boolean {
  return DNS_NAME.test(value) && !/^[\d.]+$/.test(value);
}

/** Whether `value` is an IP address or a host name np could resolve. */
export function isHostAddress(value: string): boolean {
  return isIpAddress(value) || isHostName(value);
}

/** Why `value` is not a valid address (without the value itself). */
export function addressRule(value: string): string {
  if (/^[\d.]+$/.test(value)) return "is not a valid IPv4 address";
  if (value.startsWith("[") && value.endsWith("]"))
    return "is not a valid address: write IPv6 addresses without brackets";
  return "is not a valid address: use an IPv4 or IPv6 address or a DNS host name (letters, digits, '-' and '.')";
}

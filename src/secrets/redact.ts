import { inspect } from "node:util";

const REDACTED = "[secrets redacted]";

/**
 * Makes `secrets` print as "[secrets redacted]" through console.log, util.inspect, JSON.stringify and template
 * strings, so a debug line cannot leak them. The fields stay ordinary properties for code that reads them.
 */
export function redacted<T extends object>(secrets: T): T {
  return Object.defineProperties(secrets, {
    toJSON: { value: () => REDACTED },
    toString: { value: () => REDACTED },
    [inspect.custom]: { value: () => REDACTED },
  });
}

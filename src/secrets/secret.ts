import { inspect } from "node:util";

const SHOWN = "[secret]";

/**
 * A secret value. It prints as "[secret]" through template strings, JSON.stringify, util.inspect and
 * console.log, so it cannot reach output by accident; only `reveal()` gives the value, and only the code that
 * writes it into a file on a host calls it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return SHOWN;
  }

  toJSON(): string {
    return SHOWN;
  }

  [inspect.custom](): string {
    return SHOWN;
  }
}

/**
 * Replaces every Secret inside `data` (objects, arrays) with its value, and says whether there was one: a file
 * rendered from data that held a secret holds a secret, whatever the template does with it.
 */
export function revealSecrets<T>(data: T): { value: T; holdsSecret: boolean } {
  let holdsSecret = false;
  const walk = (v: unknown): unknown => {
    if (v instanceof Secret) {
      holdsSecret = true;
      return v.reveal();
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  const value = walk(data) as T;
  return { value, holdsSecret };
}

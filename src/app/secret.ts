import { inspect } from "node:util";

const SHOWN = "[secret]";

/**
 * A secret value (an np.yaml env value). It prints as "[secret]" through template strings, JSON.stringify,
 * util.inspect and console.log, so it cannot reach output by accident; only `reveal()` gives the value, and
 * only the code that sends a job to Nomad calls it (through `revealSecrets`).
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

/** A deep copy of `data` with every Secret replaced by its value: the request body sent to Nomad. */
export function revealSecrets<T>(data: T): T {
  const walk = (v: unknown): unknown => {
    if (v instanceof Secret) return v.reveal();
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(data) as T;
}

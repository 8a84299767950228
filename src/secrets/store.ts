import path from "node:path";
import { OperationError } from "../errors.js";
import {
  createPrivateFileAtomically,
  removeStaleTemporaries,
  replacePrivateFileAtomically,
} from "./atomic-create.js";
import { ensurePrivateDir, readPrivateFile } from "./private-file.js";
import { Secret } from "./secret.js";

/** How one named secret is made and checked. */
export interface SecretSpec {
  /** File name under `.np/secrets/` (`consul-gossip`, `openobserve-root`, …). */
  name: string;
  /**
   * Makes a new value, the first time the secret is needed. A secret without one is derived elsewhere (e.g. a
   * credential a service hands out): it is loaded when saved earlier, and absent otherwise (see `save`).
   */
  generate?: () => string;
  /** True when a stored value is usable. */
  valid(value: string): boolean;
  /** What the value is, in messages ("a base64 32-byte key"). */
  describe: string;
}

/** The secrets of one run, by name; asking for one that was not loaded is a programming error. */
export interface SecretValues {
  get(name: string): Secret;
  /** A derived secret, or undefined while it has not been saved. */
  find(name: string): Secret | undefined;
}

/** Before named secrets existed, np kept both gossip keys in one file: still read, so old clusters keep theirs. */
const LEGACY_GOSSIP_FILE = "gossip.json";
const LEGACY_NAMES: Record<string, string> = {
  "consul-gossip": "consulGossipKey",
  "nomad-gossip": "nomadGossipKey",
};

/**
 * Named secrets kept in `<stateDir>/secrets/` (folder 0700, one file per secret, 0600), generated the first time
 * they are needed and read back later: running agents only accept the keys they started with. A file that group
 * or others can read is refused, never silently fixed.
 */
export class SecretStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, "secrets");
  }

  /** Where a named secret is kept. */
  fileOf(name: string): string {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
      throw new TypeError(`invalid secret name ${JSON.stringify(name)}`);
    return path.join(this.dir, name);
  }

  /** Loads (creating when missing) every secret in `specs`. */
  async load(specs: readonly SecretSpec[]): Promise<SecretValues> {
    await ensurePrivateDir(this.dir);
    await removeStaleTemporaries(this.dir);
    const values = new Map<string, Secret>();
    for (const spec of specs) {
      if (values.has(spec.name)) continue;
      const value = spec.generate ? await this.getOrCreate(spec) : await this.readDerived(spec);
      if (value) values.set(spec.name, value);
    }
    return {
      get(name: string): Secret {
        const s = values.get(name);
        if (!s) throw new Error(`secret ${name} was not loaded`);
        return s;
      },
      find: (name: string) => values.get(name),
    };
  }

  /** Saves a derived secret (0600, atomically; an existing one is replaced) and returns it. */
  async save(spec: SecretSpec, value: string): Promise<Secret> {
    if (!spec.valid(value)) throw new TypeError(`refusing to save ${spec.name}: it is not ${spec.describe}`);
    await ensurePrivateDir(this.dir);
    const file = this.fileOf(spec.name);
    await replacePrivateFileAtomically(file, `${value}\n`);
    return new Secret(value);
  }

  private async readDerived(spec: SecretSpec): Promise<Secret | undefined> {
    const file = this.fileOf(spec.name);
    const value = await readPrivate(file);
    if (value === undefined) return undefined;
    if (!spec.valid(value)) throw damaged(file, `it does not hold ${spec.describe}`);
    return new Secret(value);
  }

  private async getOrCreate(spec: SecretSpec): Promise<Secret> {
    const legacy = await this.readLegacy(spec);
    if (legacy !== undefined) return new Secret(legacy);
    const file = this.fileOf(spec.name);
    let value = await readPrivate(file);
    if (value === undefined) {
      const fresh = (spec.generate as () => string)();
      const created = await createPrivateFileAtomically(file, `${fresh}\n`).catch(
        (err: NodeJS.ErrnoException) => {
          throw new OperationError(
            `cannot write ${file}: ${err.code ?? err.message}`,
            "check the folder's permissions",
          );
        },
      );
      // A concurrent np run may have created it first: its value wins.
      value = created ? fresh : await readPrivate(file);
    }
    if (value === undefined || !spec.valid(value)) throw damaged(file, `it does not hold ${spec.describe}`);
    return new Secret(value);
  }

  private async readLegacy(spec: SecretSpec): Promise<string | undefined> {
    const field = LEGACY_NAMES[spec.name];
    if (!field) return undefined;
    const file = path.join(this.dir, LEGACY_GOSSIP_FILE);
    const text = await readPrivate(file);
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse's own message quotes part of the file, which may be a key: say where, not what.
      throw damaged(file, "it is not valid JSON");
    }
    const value = (parsed as Record<string, unknown> | null)?.[field];
    if (typeof value !== "string" || !spec.valid(value))
      throw damaged(file, `"${field}" is missing or not ${spec.describe}`);
    return value;
  }
}

/** A secret file's trimmed content, or undefined when there is none; refused when others can read it. */
const readPrivate = async (file: string) => (await readPrivateFile(file))?.trim();

function damaged(file: string, why: string): OperationError {
  return new OperationError(
    `${file} is damaged: ${why}`,
    "restore it from a backup; delete it only if no agent uses it yet (running agents keep their key, and a new one cannot join them)",
  );
}

import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { writePrivate } from "../pki/store.js";
import { isTemporary, removeStaleTemporaries } from "../secrets/atomic-create.js";
import { type SecretSpec, SecretStore } from "../secrets/index.js";
import { ensurePrivateDir, readPrivateFile } from "../secrets/private-file.js";

/** Before named secrets, np kept both gossip keys in this one file (still read first by SecretStore). */
const LEGACY_GOSSIP = {
  file: "gossip.json",
  fields: { "consul-gossip": "consulGossipKey", "nomad-gossip": "nomadGossipKey" },
};

/**
 * The secrets of a rotation under way, in `.np/secrets/` beside the others (0700 folders, 0600 files):
 * - `rotating/<name>`: the new value, written before anything uses it; the running cluster learns it first.
 * - `retiring/<name>`: the old value, kept once the new one has taken its place in `<name>` (so renders use the
 *   new one) until nothing uses the old one any more.
 * A rotation interrupted at any step finds both on the next run and goes on from there; `.np/secrets/<name>`
 * always holds a value the cluster accepts.
 */
export class RotationStore {
  readonly dir: string;
  private readonly secrets: SecretStore;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, "secrets");
    this.secrets = new SecretStore(stateDir);
  }

  private file(kind: "rotating" | "retiring", name: string): string {
    return path.join(this.dir, kind, path.basename(this.secrets.fileOf(name)));
  }

  /** The new value of a rotation under way, if one was written. */
  next(name: string): Promise<string | undefined> {
    return read(this.file("rotating", name));
  }

  /** The old value a finished switch keeps until it is unused, if there is one. */
  retiring(name: string): Promise<string | undefined> {
    return read(this.file("retiring", name));
  }

  /** The value np uses now (`.np/secrets/<name>`). */
  current(name: string): Promise<string | undefined> {
    return read(this.secrets.fileOf(name));
  }

  /** Saves the new value of a rotation (before the cluster is told of it). */
  async saveNext(name: string, value: string): Promise<void> {
    await ensurePrivateDir(path.join(this.dir, "rotating"));
    await writePrivate(this.file("rotating", name), `${value}\n`);
  }

  /**
   * Makes the new value the current one: the old value goes to `retiring/` first, then `<name>` is replaced
   * (atomically), then `rotating/<name>` goes. Interrupted anywhere, a second call finishes the same switch.
   */
  async promote(spec: SecretSpec, value: string): Promise<void> {
    await this.retireLegacyGossipFile();
    const old = await this.current(spec.name);
    if (old !== undefined && old !== value && (await this.retiring(spec.name)) === undefined) {
      await ensurePrivateDir(path.join(this.dir, "retiring"));
      await writePrivate(this.file("retiring", spec.name), `${old}\n`);
    }
    await this.secrets.save(spec, value);
    await rm(this.file("rotating", spec.name), { force: true });
  }

  /** Forgets the old value once nothing uses it. */
  async forget(name: string): Promise<void> {
    await rm(this.file("retiring", name), { force: true });
  }

  /**
   * The names with a value under `rotating/` or `retiring/`: a rotation under way. The temporary files a killed
   * run left there (mid-write) are removed first: each holds a key, and none is a value of the rotation.
   */
  async underWay(): Promise<{ rotating: string[]; retiring: string[] }> {
    const list = async (kind: string) => {
      const dir = path.join(this.dir, kind);
      await removeStaleTemporaries(dir);
      return (await readdir(dir).catch(() => [] as string[])).filter((n) => !isTemporary(n));
    };
    return { rotating: await list("rotating"), retiring: await list("retiring") };
  }

  /**
   * np's old `gossip.json` wins over the named files when SecretStore reads them: its keys are copied into their
   * own files (where there is none yet) and the file is removed, so a rotated key is the one np reads.
   */
  private async retireLegacyGossipFile(): Promise<void> {
    const legacy = path.join(this.dir, LEGACY_GOSSIP.file);
    const text = await readPrivateFile(legacy);
    if (text === undefined) return;
    const parsed = JSON.parse(text) as Record<string, unknown>;
    for (const [name, field] of Object.entries(LEGACY_GOSSIP.fields)) {
      const value = parsed[field];
      if (typeof value === "string" && (await this.current(name)) === undefined)
        await writePrivate(this.secrets.fileOf(name), `${value}\n`);
    }
    await rm(legacy);
  }
}

const read = async (file: string) => (await readPrivateFile(file))?.trim();

import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import { OperationError } from "../errors.js";

/** Creates `dir` (and its parents) readable by the owner only; an existing directory is left as it is. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode goes through the umask; chmod makes it exact for the folders np just created.
  if (created !== undefined) await chmod(dir, 0o700);
}

/**
 * Refuses a secret file that anyone but its owner may read or write: the secret may already have leaked, or
 * been replaced. The user decides, np does not silently fix the mode.
 */
export async function assertPrivateFile(file: string): Promise<void> {
  const st = await stat(file);
  if (!st.isFile()) throw new OperationError(`${file} is not a regular file`, `remove it: rm -r ${file}`);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new OperationError(
      `refusing to use ${file}: its mode ${mode.toString(8).padStart(4, "0")} lets group or others access the secrets it holds`,
      `make it private with: chmod 600 ${file}`,
    );
  }
}

/** A secret file's content, or undefined when there is none; refused when group or others can read it. */
export async function readPrivateFile(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  await assertPrivateFile(file);
  return text;
}

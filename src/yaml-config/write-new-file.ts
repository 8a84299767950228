import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { InputError } from "../errors.js";

/**
 * Writes a config file np generates for the user to edit (`np init`, `np init app`), creating its folder and
 * refusing to replace an existing file unless `force` (InputError, exit 2). `shown` names it in messages.
 */
export async function writeNewFile(
  file: string,
  text: string,
  options: { force: boolean; shown?: string },
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(file, text, { flag: options.force ? "w" : "wx" });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EISDIR")
      throw new InputError(`${options.shown ?? file} is a folder`, [], "pass --path FILE");
    if (code !== "EEXIST") throw err;
    throw new InputError(
      `${options.shown ?? file} already exists`,
      [],
      "pass --force to overwrite it, or --path FILE",
    );
  }
}

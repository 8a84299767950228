import { readFile } from "node:fs/promises";
import { InputError } from "../errors.js";

/** How a missing config file is named and what makes one: `{ noun: "inventory file", init: "np init", flag: "-i FILE" }`. */
export interface ConfigFileNames {
  noun: string;
  init: string;
  flag: string;
}

/** Reads a config file's text; a missing or unreadable file is an InputError (exit 2) saying what to do. */
export async function readConfigText(file: string, names: ConfigFileNames): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new InputError(
        `${names.noun} not found: ${file}`,
        [],
        `create one with \`${names.init}\` or pass ${names.flag}`,
      );
    if (code === "EISDIR")
      throw new InputError(
        `${file} is a folder, not ${/^[aeiou]/.test(names.noun) ? "an" : "a"} ${names.noun}`,
        [],
        `pass ${names.flag}`,
      );
    throw new InputError(`cannot read ${names.noun} ${file}: ${(err as Error).message}`);
  }
}

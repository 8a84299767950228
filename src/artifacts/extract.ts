import { gunzipSync, unzipSync } from "fflate";
import { OperationError } from "../errors.js";
import type { ReleaseFiles } from "./layout.js";
import { findTarEntry } from "./tar.js";

/** Takes the executable `files.entry` out of a release archive (zip, or tar.gz), in memory. */
export function extractBinary(files: ReleaseFiles, archive: Uint8Array): Uint8Array {
  let binary: Uint8Array | undefined;
  try {
    binary = files.archiveKind === "zip" ? fromZip(archive, files.entry) : fromTarGz(archive, files.entry);
  } catch (err) {
    throw new OperationError(
      `cannot extract ${files.entry} from ${files.archive}: ${(err as Error).message}`,
    );
  }
  if (!binary) throw new OperationError(`${files.archive} does not contain ${files.entry}`);
  return binary;
}

function fromZip(zip: Uint8Array, entry: string): Uint8Array | undefined {
  const wanted = (name: string) => name === entry || name === `./${entry}`;
  const files = unzipSync(zip, { filter: (file) => wanted(file.name) });
  const name = Object.keys(files).find(wanted);
  return name === undefined ? undefined : files[name];
}

function fromTarGz(tgz: Uint8Array, entry: string): Uint8Array | undefined {
  return findTarEntry(gunzipSync(tgz), entry);
}

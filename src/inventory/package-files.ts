import { fileURLToPath } from "node:url";

/** Absolute path of a file shipped at the top of np's package (inventory.example.yaml, inventory.schema.json). */
export function packageFile(name: "inventory.example.yaml" | "inventory.schema.json"): string {
  // This module sits in src/inventory/ (and dist/inventory/ once built): the package root is two levels up.
  return fileURLToPath(new URL(`../../${name}`, import.meta.url));
}

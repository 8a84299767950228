import { fileURLToPath } from "node:url";

/** Absolute path of a file shipped in np's package (inventory.example.yaml, the np-agent bundle, …). */
export function packageFile(
  name: "inventory.example.yaml" | "inventory.schema.json" | "package.json" | "dist/agent/np-agent.mjs",
): string {
  // This module sits in src/inventory/ (and dist/inventory/ once built): the package root is two levels up.
  return fileURLToPath(new URL(`../../${name}`, import.meta.url));
}

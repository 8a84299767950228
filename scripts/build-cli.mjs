#!/usr/bin/env node
/**
 * Builds the runnable CLI into dist/ (`npm run build` runs tsc for the type check first). esbuild bundles np and
 * its dependencies, with one chunk per dynamic import, so each command loads only the code it uses and
 * `np --version` loads almost nothing. ssh2 stays a package of its own: its optional native parts cannot be bundled.
 *
 * Outputs sit two levels below the package root (dist/cli/main.js, dist/cli/chunk-*.js,
 * dist/inventory/write-schema.js), as the sources do (src/cli/…): code that finds templates/, package.json or
 * inventory.example.yaml relative to its own file works the same from src/ (tests) and from dist/.
 */
import { chmodSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { precompiledTemplates } from "./precompiled-templates.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");

// Chunk names change with their content: clear what earlier builds (tsc's or this one) left of np's code.
for (const entry of readdirSync(path.join(root, "src"))) {
  const built = entry.replace(/\.ts$/, ".js");
  for (const stale of [built, `${built}.map`])
    rmSync(path.join(dist, stale), { recursive: true, force: true });
}

await build({
  plugins: [precompiledTemplates(root)],
  absWorkingDir: root,
  entryPoints: { "cli/main": "src/cli/main.ts", "inventory/write-schema": "src/inventory/write-schema.ts" },
  outdir: dist,
  chunkNames: "cli/chunk-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  // package.json "engines": the oldest Node np supports.
  target: "node22.19",
  external: ["ssh2"],
  // CommonJS dependencies (undici, handlebars) call require(); an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __npCreateRequire } from "node:module";\nconst require = __npCreateRequire(import.meta.url);',
  },
  sourcemap: "linked",
  sourcesContent: false,
  logLevel: "warning",
});
chmodSync(path.join(dist, "cli", "main.js"), 0o755);

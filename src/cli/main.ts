#!/usr/bin/env node
import module from "node:module";
import { compileCacheDir } from "./compile-cache.js";
import { isOlderNode, NODE_FLOOR } from "./node-floor.js";

// Node keeps the compiled code of np and its dependencies on disk, so every start after the first is faster
// (module loading is most of a no-op `np up`'s own time). Must run before anything else is imported.
const cacheDir = compileCacheDir(process.env);
if (cacheDir) module.enableCompileCache?.(cacheDir);
// With --verbose, stack traces name np's sources (src/…/*.ts) instead of the bundle; only then, as reading the
// source maps costs start-up time.
if (process.argv.includes("-v") || process.argv.includes("--verbose")) module.setSourceMapsSupport?.(true);

if (isOlderNode(process.versions.node)) {
  // An older Node fails later and obscurely (a missing export, a dependency's syntax): say so up front.
  process.stderr.write(`error: np needs Node.js ${NODE_FLOOR} or later; this is ${process.version}\n`);
  process.exitCode = 1;
} else if (process.argv.length === 3 && process.argv[2] === "--version") {
  // The one answer that needs no command tree: building commander's program is most of a bare start-up's cost.
  const { npVersion } = await import("../deploy/np-version.js");
  process.stdout.write(`${npVersion()}\n`);
} else {
  const { runCli } = await import("./run-cli.js");
  await runCli(process.argv.slice(2));
}

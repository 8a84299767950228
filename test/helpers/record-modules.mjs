/**
 * Test tooling, loaded with `node --import`: records the URL of every module the process resolves (ES modules
 * and require() alike) and writes them, one a line, to the file named by $NP_RECORD_MODULES when it exits.
 */
import { writeFileSync } from "node:fs";
import module from "node:module";

const target = process.env.NP_RECORD_MODULES;
const seen = new Set();
module.registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    seen.add(resolved.url);
    return resolved;
  },
});
process.on("exit", () => {
  if (target) writeFileSync(target, [...seen].join("\n"));
});

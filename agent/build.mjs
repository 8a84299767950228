#!/usr/bin/env node
// Bundles np-agent into ONE file, dist/agent/np-agent.mjs, run as `node np-agent.mjs /etc/np-agent/config.json`.
// Node built-ins stay external; nothing else is allowed in (the agent has no runtime dependencies).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));

// Node built-ins are taken with process.getBuiltinModule(), as the default export only (agent/src imports them as
// `import fs from "node:fs"`; a named import fails the build). Two costs avoided, measured on Node 24:
// - an ESM `import` of a built-in builds its module namespace, and node:http's lazy getters then load undici:
//   +13 MB resident;
// - esbuild's CommonJS interop copies every property descriptor, which materializes node:util's lazy
//   properties (worker_threads, parse_args, util.diff...): another couple of MB.
const builtinsWithoutEsm = {
  name: "builtins-without-esm",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: "builtin" }));
    b.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({
      contents: `export default process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

const result = await build({
  entryPoints: [path.join(root, "agent", "src", "main.ts")],
  outfile: path.join(root, "dist", "agent", "np-agent.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  minifySyntax: true,
  legalComments: "none",
  define: { NP_AGENT_VERSION: JSON.stringify(version) },
  banner: { js: `// np-agent ${version}: bundled by agent/build.mjs; see README (np-agent).` },
  plugins: [builtinsWithoutEsm],
  metafile: true,
  logLevel: "warning",
});
const inputs = Object.keys(result.metafile.inputs);
const foreign = inputs.filter((i) => !i.startsWith("agent/src/") && !i.startsWith("builtin:"));
if (foreign.length) throw new Error(`np-agent must only bundle agent/src: ${foreign.join(", ")}`);

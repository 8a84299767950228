/** An esbuild plugin of np's build (scripts/build-cli.mjs); test/unit/precompiled-templates.test.ts checks it. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";

/**
 * templates/*.hbs precompiled into the bundle in place of src/render/template-source.ts (which compiles them at
 * run time when np runs from its sources): the CLI then carries only Handlebars' runtime.
 */
export const precompiledTemplates = (root) => ({
  name: "np-precompiled-templates",
  setup(b) {
    b.onResolve({ filter: /\/template-source\.js$/ }, () => ({
      path: "templates",
      namespace: "np-precompiled",
    }));
    b.onLoad({ filter: /.*/, namespace: "np-precompiled" }, () => {
      const dir = path.join(root, "templates");
      const options = JSON.parse(readFileSync(path.join(dir, "compile-options.json"), "utf8"));
      const specs = readdirSync(dir)
        .filter((f) => f.endsWith(".hbs"))
        .sort()
        .map((f) => {
          const spec = Handlebars.precompile(readFileSync(path.join(dir, f), "utf8"), options);
          return `  ${JSON.stringify(f.slice(0, -".hbs".length))}: ${spec},`;
        });
      return {
        resolveDir: root,
        loader: "js",
        contents: `import Handlebars from "handlebars/runtime";
const specs = {
${specs.join("\n")}
};
export function createHandlebars() {
  return Handlebars.create();
}
export function loadTemplate(hbs, name) {
  const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
  if (!spec) throw new TypeError(\`templates/\${name}.hbs is not part of this build of np\`);
  return hbs.template(spec);
}
`,
      };
    });
  },
});

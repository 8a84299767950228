import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module of the build, without types
import { precompiledTemplates } from "../../scripts/precompiled-templates.mjs";
import * as fromSources from "./render-fixtures.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("templates precompiled by the build", () => {
  // Inside the repository, so the bundle's own imports resolve from node_modules.
  const dir = mkdtempSync(path.join(root, "test", ".precompiled-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("render every file of every host byte for byte as the sources' compiler does", async () => {
    // The fixtures module bundled the way the CLI is (its templates precompiled, Handlebars' runtime only):
    // a self-contained copy of np's rendering, fed the same inventory and secrets.
    const out = path.join(dir, "fixtures.mjs");
    const result = await build({
      absWorkingDir: root,
      entryPoints: [path.join(root, "test/unit/render-fixtures.ts")],
      outfile: out,
      bundle: true,
      format: "esm",
      platform: "node",
      external: ["@cdktf/hcl2json", "ssh2"],
      plugins: [precompiledTemplates(root)],
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes("template-source"))).toBe(false);
    expect(inputs.some((i) => i.endsWith("handlebars/dist/cjs/handlebars.runtime.js"))).toBe(true);
    expect(inputs.some((i) => i.includes("compiler/"))).toBe(false);
    const built = (await import(pathToFileURL(out).href)) as typeof fromSources;
    let files = 0;
    for (const consul of ["1.8.7", "1.21.0"]) {
      const a = fromSources.cluster({ consul });
      const b = built.cluster({ consul });
      for (const [i, h] of a.hosts.entries()) {
        const mine = fromSources.desiredFiles(a, h);
        const theirs = built.desiredFiles(b, b.hosts[i] as (typeof b.hosts)[number]);
        expect(theirs.map((f) => [f.path, f.content])).toEqual(mine.map((f) => [f.path, f.content]));
        files += mine.length;
      }
    }
    // Every template is among them (7 of them, on 7 hosts, twice).
    expect(files).toBeGreaterThan(50);
  });

  it("carries every template in templates/, and names one it does not carry", () => {
    const plugin = precompiledTemplates(root);
    let load: ((args: object) => { contents: string }) | undefined;
    plugin.setup({ onResolve() {}, onLoad: (_: object, fn: typeof load) => (load = fn) });
    const contents = load?.({}).contents ?? "";
    const templates = readdirSync(path.join(root, "templates")).filter((f) => f.endsWith(".hbs"));
    expect(templates.length).toBeGreaterThanOrEqual(7);
    for (const t of templates) expect(contents).toContain(`${JSON.stringify(t.slice(0, -4))}: {`);
    expect(contents).toContain("is not part of this build of np");
  });
});

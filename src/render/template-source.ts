import { readFileSync } from "node:fs";
import Handlebars from "handlebars";

/**
 * Where templates come from when np runs from its sources (tests): templates/<name>.hbs, compiled on first use.
 * The built CLI replaces this module with the same two functions over templates precompiled at build time
 * (scripts/build-cli.mjs), so a run loads neither the Handlebars compiler nor compiles anything: that is a
 * tenth of a no-op `np up`'s CPU. Both compile with templates/compile-options.json.
 */

// From src/render (vitest) and from dist/render alike, templates/ is two levels up.
const TEMPLATES_DIR = new URL("../../templates/", import.meta.url);

/** A Handlebars environment of np's own, so its helpers do not leak into other users of the module. */
export function createHandlebars(): typeof Handlebars {
  return Handlebars.create();
}

/** templates/<name>.hbs, compiled in `hbs`. */
export function loadTemplate(hbs: typeof Handlebars, name: string): Handlebars.TemplateDelegate {
  const options = JSON.parse(readFileSync(new URL("compile-options.json", TEMPLATES_DIR), "utf8"));
  return hbs.compile(readFileSync(new URL(`${name}.hbs`, TEMPLATES_DIR), "utf8"), options);
}

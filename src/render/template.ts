import { readFileSync } from "node:fs";
import Handlebars from "handlebars";
import { registerHelpers } from "./template-helpers.js";

// From src/render (vitest) and from dist/render (the installed package) alike, templates/ is two levels up.
const TEMPLATES_DIR = new URL("../../templates/", import.meta.url);

// An isolated Handlebars environment: np's helpers do not leak into other users of the module.
const hbs = Handlebars.create();
registerHelpers(hbs);

const compiled = new Map<string, Handlebars.TemplateDelegate>();

/**
 * Renders templates/<name>.hbs with `data` (e.g. `renderTemplate("consul.hcl", view)`); each template is compiled
 * once. Strict: a value missing from `data` throws instead of rendering as nothing. No HTML escaping: HCL values
 * go through the `hcl`/`hclList`/`hclInt` helpers, which quote and escape them.
 */
export function renderTemplate(name: string, data: object): string {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name))
    throw new TypeError(`invalid template name: ${JSON.stringify(name)}`);
  let template = compiled.get(name);
  if (template === undefined) {
    const source = readFileSync(new URL(`${name}.hbs`, TEMPLATES_DIR), "utf8");
    template = hbs.compile(source, { strict: true, noEscape: true });
    compiled.set(name, template);
  }
  try {
    return template(data);
  } catch (err) {
    throw new TypeError(`templates/${name}.hbs: ${(err as Error).message}`, { cause: err });
  }
}

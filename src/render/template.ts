import type Handlebars from "handlebars";
import { registerHelpers } from "./template-helpers.js";
import { createHandlebars, loadTemplate } from "./template-source.js";

const hbs = createHandlebars();
registerHelpers(hbs);

const loaded = new Map<string, Handlebars.TemplateDelegate>();

/**
 * Renders templates/<name>.hbs with `data` (e.g. `renderTemplate("consul.hcl", view)`); each template is loaded
 * once. Strict: a value missing from `data` throws instead of rendering as nothing. No HTML escaping: HCL values
 * go through the `hcl`/`hclList`/`hclInt` helpers, which quote and escape them.
 */
export function renderTemplate(name: string, data: object): string {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name))
    throw new TypeError(`invalid template name: ${JSON.stringify(name)}`);
  let template = loaded.get(name);
  if (template === undefined) {
    template = loadTemplate(hbs, name);
    loaded.set(name, template);
  }
  try {
    return template(data);
  } catch (err) {
    throw new TypeError(`templates/${name}.hbs: ${(err as Error).message}`, { cause: err });
  }
}

import type Handlebars from "handlebars";
import { hclBool, hclInt, hclString, hclStringList } from "./hcl.js";

interface Located {
  loc?: { start: { line: number; column: number } };
}

// Handlebars' `strict` only covers plain {{value}}; a helper's argument that is missing arrives as undefined.
// Every helper np's templates use refuses undefined, so a value missing from the data always throws
// (optional values are null, never undefined).
function present(value: unknown, helper: string, options: Located): unknown {
  if (value === undefined) {
    const at = options.loc
      ? ` at line ${options.loc.start.line}, column ${options.loc.start.column + 1}`
      : "";
    throw new TypeError(`{{${helper}}}${at}: value missing from the data (use null for "not set")`);
  }
  return value;
}

function stringOf(value: unknown, helper: string, options: Located): string {
  const v = present(value, helper, options);
  if (typeof v !== "string") throw new TypeError(`{{${helper}}} needs a string, got ${typeof v}`);
  return v;
}

/** Registers the HCL helpers (`hcl`, `hclList`, `hclInt`, `hclBool`) and makes the block helpers refuse missing values. */
export function registerHelpers(hbs: typeof Handlebars): void {
  hbs.registerHelper("hcl", (value: unknown, options: Located) => hclString(stringOf(value, "hcl", options)));
  hbs.registerHelper("hclList", (value: unknown, options: Located) => {
    const list = present(value, "hclList", options);
    if (!Array.isArray(list)) throw new TypeError(`{{hclList}} needs a list of strings, got ${typeof list}`);
    return hclStringList(list.map((v) => stringOf(v, "hclList", options)));
  });
  hbs.registerHelper("hclInt", (value: unknown, options: Located) =>
    hclInt(present(value, "hclInt", options) as number),
  );
  hbs.registerHelper("hclBool", (value: unknown, options: Located) =>
    hclBool(present(value, "hclBool", options) as boolean),
  );
  for (const name of ["if", "unless", "each", "with"]) {
    const builtin = hbs.helpers[name] as Handlebars.HelperDelegate;
    hbs.registerHelper(
      name,
      function (this: unknown, value: unknown, options: Handlebars.HelperOptions & Located) {
        return builtin.call(this, present(value, `#${name}`, options), options);
      },
    );
  }
}

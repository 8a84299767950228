import { z } from "zod";

/** The JSON Schema (for editors) of a config file, generated from the zod schema np validates it with. */
export function jsonSchemaText(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return `${JSON.stringify(json, null, 2)}\n`;
}

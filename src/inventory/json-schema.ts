import { z } from "zod";
import { inventorySchema } from "./schema.js";

/** The inventory's JSON Schema (for editors), generated from the same zod schema np validates with. */
export function inventoryJsonSchema(): string {
  const schema = z.toJSONSchema(inventorySchema, { io: "input", unrepresentable: "any" });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

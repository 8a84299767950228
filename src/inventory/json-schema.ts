import { jsonSchemaText } from "../yaml-config/json-schema.js";
import { inventorySchema } from "./schema.js";

/** The inventory's JSON Schema (for editors), generated from the same zod schema np validates with. */
export function inventoryJsonSchema(): string {
  return jsonSchemaText(inventorySchema);
}

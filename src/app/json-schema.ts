import { jsonSchemaText } from "../yaml-config/json-schema.js";
import { appSchema } from "./schema.js";

/** np.yaml's JSON Schema (for editors), generated from the same zod schema np validates with. */
export function appJsonSchema(): string {
  return jsonSchemaText(appSchema);
}

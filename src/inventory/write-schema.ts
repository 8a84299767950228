/** `npm run schema`: regenerates inventory.schema.json at the top of the repository from the zod schema. */
import { writeFileSync } from "node:fs";
import { inventoryJsonSchema } from "./json-schema.js";
import { packageFile } from "./package-files.js";

const target = packageFile("inventory.schema.json");
writeFileSync(target, inventoryJsonSchema());
process.stdout.write(`wrote ${target}\n`);

/** `npm run schema`: regenerates np.schema.json at the top of the repository from the zod schema. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { appJsonSchema } from "./json-schema.js";
import { APP_SCHEMA_FILE } from "./template.js";

// This module sits in src/app/ (dist/app/ once built): the repository root is two levels up.
const target = fileURLToPath(new URL(`../../${APP_SCHEMA_FILE}`, import.meta.url));
writeFileSync(target, appJsonSchema());
process.stdout.write(`wrote ${target}\n`);

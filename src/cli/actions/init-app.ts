import { writeAppTemplate } from "../../app/template.js";

/** `np init app`: the commented np.yaml and np.schema.json beside it. */
export function initApp(file: string, options: { force: boolean; shown: string }) {
  return writeAppTemplate(file, options);
}

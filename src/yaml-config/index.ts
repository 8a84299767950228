/** What np's YAML config files (inventory.yaml, np.yaml) share: positions, problems, variables, schema issues. */
export { analyzeConfig, type ConfigAnalysis, type ConfigKind } from "./analyze.js";
export { didYouMean, editDistance } from "./did-you-mean.js";
export {
  parseTemplate,
  type SubstitutionOptions,
  substituteInDocument,
  substituteVariables,
  type TemplatePart,
} from "./env-substitution.js";
export { httpUrl, matching, port } from "./fields.js";
export { formatProblems, problemsError, withoutPaths } from "./format.js";
export { jsonSchemaText } from "./json-schema.js";
export { formatPath, type PathSegment, type Problem } from "./problem.js";
export { allowedKeys, problemsFromIssues } from "./schema-issues.js";
export { show } from "./show.js";
export { formatProblem, locate, parseYamlSource, type YamlSource } from "./yaml-source.js";

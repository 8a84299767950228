import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * Checks a JSON value against Nomad's API structs (test/fixtures/app/nomad-api-job-structs.json, a copy of
 * reference/nomad-structs/, derived from hashicorp/nomad api/*.go at v1.10.5): every key must be a field of the
 * struct at its position, with the right JSON kind. Nomad decodes job JSON case-insensitively and ignores
 * unknown keys, so this walk is what catches a typo or a duration written as a string.
 */

interface Field {
  name: string;
  goType: string;
  ref: string | null;
  jsonKind: string;
}

const structs = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, "../fixtures/app/nomad-api-job-structs.json"), "utf8"),
) as Record<string, Field[]>;

/**
 * Every mismatch between `value` and the struct `root`, as `path: what is wrong`; empty when it conforms.
 * `allowNull` accepts null anywhere (Nomad's responses write empty lists and maps as null); `serverOnly` names
 * fields a response carries beyond api/*.go (the server encodes nomad/structs, a superset).
 */
export function structErrors(
  value: unknown,
  root: string,
  options: { allowNull?: boolean; serverOnly?: Record<string, string[]> } = {},
): string[] {
  const errors: string[] = [];
  const walkStruct = (v: unknown, name: string, at: string) => {
    const fields = structs[name];
    if (!fields) return void errors.push(`${at}: no struct ${name} in the reference`);
    if (!isObject(v)) return void errors.push(`${at}: expected an object (${name}), got ${kindOf(v)}`);
    for (const [key, x] of Object.entries(v)) {
      const field = fields.find((f) => f.name === key);
      if (!field && options.serverOnly?.[name]?.includes(key)) continue;
      if (!field) {
        const near = fields.find((f) => f.name.toLowerCase() === key.toLowerCase());
        errors.push(`${at}.${key}: not a field of ${name}${near ? ` (the field is ${near.name})` : ""}`);
      } else walkField(x, field, `${at}.${key}`);
    }
  };
  const walkField = (v: unknown, field: Field, at: string) => {
    if (v === null) {
      if (!options.allowNull) errors.push(`${at}: null`);
      return;
    }
    if (field.jsonKind === "array" || field.jsonKind === "object")
      walkElement(v, field.goType.replace(/^\*/, ""), field.ref, at);
    else checkScalar(v, field.jsonKind, field.goType, at);
  };
  /** A value of Go type `goType`: a slice, a map, the struct `ref`, anything (interface{}) or a scalar. */
  const walkElement = (v: unknown, goType: string, ref: string | null, at: string): void => {
    if (v === null) {
      if (!options.allowNull) errors.push(`${at}: null`);
      return;
    }
    const inner = (prefix: string) => goType.slice(prefix.length).replace(/^\*/, "");
    if (goType.startsWith("[]")) {
      if (!Array.isArray(v))
        return void errors.push(`${at}: expected an array (${goType}), got ${kindOf(v)}`);
      v.forEach((item, i) => {
        walkElement(item, inner("[]"), ref, `${at}[${i}]`);
      });
    } else if (goType.startsWith("map[string]")) {
      if (!isObject(v)) return void errors.push(`${at}: expected an object (${goType}), got ${kindOf(v)}`);
      for (const [key, x] of Object.entries(v))
        walkElement(x, inner("map[string]"), ref, `${at}[${JSON.stringify(key)}]`);
    } else if (ref && goType === ref) walkStruct(v, ref, at);
    else if (goType !== "interface{}" && goType !== "any") checkScalar(v, scalarKind(goType), goType, at);
  };
  const checkScalar = (v: unknown, jsonKind: string, goType: string, at: string) => {
    const ok =
      jsonKind === "string" || jsonKind === "time-rfc3339" || jsonKind === "duration-string"
        ? typeof v === "string"
        : jsonKind === "integer" || jsonKind === "duration-ns"
          ? Number.isInteger(v)
          : jsonKind === "number"
            ? typeof v === "number"
            : jsonKind === "boolean"
              ? typeof v === "boolean"
              : jsonKind === "bytes-base64"
                ? typeof v === "string"
                : jsonKind === "object"
                  ? isObject(v)
                  : false;
    if (!ok) errors.push(`${at}: expected ${jsonKind} (${goType}), got ${kindOf(v)} ${JSON.stringify(v)}`);
  };
  walkStruct(value, root, root);
  return errors;
}

function scalarKind(goType: string): string {
  if (goType === "string") return "string";
  if (goType === "bool") return "boolean";
  if (/^u?int(8|16|32|64)?$/.test(goType)) return "integer";
  if (/^float(32|64)$/.test(goType)) return "number";
  return `unknown Go type ${goType}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? "an array" : v === null ? "null" : typeof v;
}

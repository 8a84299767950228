// Traefik TEST DOUBLE: decoding of configuration trees with the rules of traefik/paerser (file/file.go,
// file/raw_node.go, parser/nodes_metadata.go) as Traefik v3.7 uses it for the static file, file-provider files and
// Consul Catalog tags:
// - a key matches a Go struct field by name, case-INsensitively (strings.EqualFold), so `exposedbydefault` is
//   accepted like `exposedByDefault` (the SchemaStore schema is stricter than Traefik);
// - an unknown nested key is "field not found, node: <key>"; unknown TOP-LEVEL keys of a file are ignored, and a
//   file with no known top-level key is "no valid configuration found in file: <path>";
// - null values are skipped (so `ping:` alone does not enable ping; `ping: {}` does);
// - a struct or map with no children needs the `allowEmpty` tag, else "<key> cannot be a standalone element
//   (type <Go type>)"; such an element given a value other than "true" is disabled;
// - fields tagged `file:"-"` (or `label:"-"` for tags) are ignored.
// Output: the same tree with the canonical (json) key names, scalars kept as given.
import keys from "./config-keys.json" with { type: "json" };

export const STATIC_KEYS = keys.static;
export const DYNAMIC_KEYS = keys.dynamic;

export class DecodeError extends Error {}

/** Decodes a parsed file (an object) against a root key tree; `source` names the file in errors. */
export function decodeFile(data, tree, source) {
  if (data === null || typeof data !== "object" || Object.keys(data).length === 0) {
    throw new DecodeError(`no configuration found in file: ${source}`);
  }
  // sortKeys with filters: only keys naming a root field are kept.
  const kept = Object.fromEntries(Object.entries(data).filter(([k]) => findField(tree, k, "file")));
  const children = Object.entries(kept).filter(([, v]) => v !== null && v !== undefined);
  if (children.length === 0) throw new DecodeError(`no valid configuration found in file: ${source}`);
  return decodeStruct(kept, tree, "file");
}

/** Decodes a tree built from labels (see labelsToTree) against a key tree, with label tags. */
export function decodeLabels(data, tree) {
  return decodeStruct(data, tree, "label");
}

function meta(node) {
  return node && typeof node === "object" ? (node.$ ?? {}) : {};
}

/** The field of `tree` that `name` designates (Go field name, case-insensitive), as [key, node], or undefined. */
export function findField(tree, name, mode) {
  const lower = name.toLowerCase();
  for (const [key, node] of Object.entries(tree)) {
    if (key === "$") continue;
    const m = meta(node);
    // label-slice-as-struct:"server": in tags, `server` is the first item of `servers`.
    const goName = mode === "label" && m.slice && key === "servers" ? "server" : (m.g ?? key);
    if (goName.toLowerCase() === lower) return [key, node];
  }
  return undefined;
}

function decodeStruct(obj, tree, mode) {
  const out = {};
  for (const [name, value] of Object.entries(obj)) {
    if (value === null || value === undefined) continue;
    const found = findField(tree, name, mode);
    if (!found) throw new DecodeError(`field not found, node: ${name}`);
    const [key, node] = found;
    const m = meta(node);
    if ((mode === "file" && m.fx) || (mode === "label" && m.lx)) continue;
    const decoded = decodeValue(value, node, name, mode);
    if (decoded === undefined) continue;
    if (mode === "label" && m.slice && key === "servers") out[key] = [decoded];
    else out[key] = decoded;
  }
  return out;
}

function decodeValue(value, node, name, mode) {
  const m = meta(node);
  if (node === 0 || m.leaf) return value;
  const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
  if (m.slice && !(mode === "label" && isObject)) {
    if (!Array.isArray(value)) throw new DecodeError(`${name} cannot be a standalone element (type ${m.t})`);
    return value.map((item, i) => decodeValue(item, node["[]"], `[${i}]`, mode));
  }
  const hasChildren = isObject && Object.values(value).some((v) => v !== null && v !== undefined);
  if (!hasChildren) {
    const allowEmpty = mode === "file" ? m.fe : m.le;
    if (!allowEmpty)
      throw new DecodeError(`${name} cannot be a standalone element (type ${m.t ?? "struct"})`);
    // node.Disabled: a value other than "true" disables an allowEmpty element.
    if (!isObject && String(value) !== "" && String(value).toLowerCase() !== "true") return undefined;
    return {};
  }
  if (m.slice) return decodeStruct(value, node["[]"], mode); // a tag's `server` (wrapped by the caller)
  if (m.map) {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      const child = node["*"];
      out[k] = child === 0 ? v : decodeValue(v, child, k, mode);
    }
    return out;
  }
  return decodeStruct(value, node, mode);
}

/**
 * Tags as paerser's label parser reads them: "traefik.http.routers.r.rule=Host(`a`)" → a nested object under
 * the root ("traefik"), keeping only keys that start with one of `filters` (case-insensitive). A list-valued
 * field is the value split on ",".
 */
export function labelsToTree(labels, filters) {
  const root = {};
  for (const [k, v] of Object.entries(labels)) {
    const lower = k.toLowerCase();
    if (!filters.some((f) => lower === f || lower.startsWith(`${f}.`))) continue;
    const parts = k.split(".").slice(1);
    let at = root;
    for (const p of parts.slice(0, -1)) {
      if (typeof at[p] !== "object" || at[p] === null) at[p] = {};
      at = at[p];
    }
    at[parts.at(-1)] = v;
  }
  return root;
}

/** strconv.ParseBool. */
export function parseBool(v, name) {
  if (typeof v === "boolean") return v;
  const s = String(v);
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  throw new DecodeError(`field ${name}: strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** paerser types.Duration: an integer is seconds, else a Go duration ("15s", "1m30s", "250ms"); returns ms. */
export function parseDuration(v, name) {
  if (typeof v === "number") return v * 1000;
  const s = String(v).trim();
  if (/^-?\d+$/.test(s)) return Number(s) * 1000;
  const units = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) throw new DecodeError(`field ${name}: time: invalid duration ${JSON.stringify(s)}`);
    ms += Number(m[1]) * units[m[2]];
    at = re.lastIndex;
  }
  if (s.length === 0) throw new DecodeError(`field ${name}: time: invalid duration ""`);
  return ms;
}

/** A list field: a YAML list, or (from tags) a comma-separated string. */
export function parseList(v) {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  return String(v)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * HCL literals for the agent configs. Consul and Nomad read their configs with HCL v1, and the tests parse
 * them with HCL v2, so every string is written in the subset both read the same way.
 */

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/**
 * A quoted HCL string whose value is exactly `value`. `${` and `%{` become `\u0024{` and `\u0025{`: HCL v2's
 * `$${` escape is not one in HCL v1 (Consul and Nomad would keep both dollars, and v1 treats `${` as the start of
 * an interpolation in which quotes do not end the string), while a unicode escape is a plain character in both.
 */
export function hclString(value: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    const next = value.charAt(i + 1);
    if ((ch === "$" || ch === "%") && next === "{") out += ch === "$" ? "\\u0024" : "\\u0025";
    else if (SIMPLE_ESCAPES[ch] !== undefined) out += SIMPLE_ESCAPES[ch];
    else if (ch < " " || ch === "\u007f") out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `"${out}"`;
}

/** An HCL list of quoted strings on one line: `["a", "b"]`. */
export function hclStringList(values: readonly string[]): string {
  return `[${values.map(hclString).join(", ")}]`;
}

/** An HCL integer; refuses anything else so a template never writes `NaN` or `1.5` where a count belongs. */
export function hclInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${String(value)}`);
  return String(value);
}

/** An HCL boolean; refuses anything else so a template never writes `undefined` where a flag belongs. */
export function hclBool(value: boolean): string {
  if (typeof value !== "boolean") throw new TypeError(`not a boolean: ${String(value)}`);
  return String(value);
}

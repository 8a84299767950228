// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the inventory's variable syntax, not a template
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { InputError } from "../../src/errors.js";
import { parseInventory } from "../../src/inventory/index.js";
import { substituteInDocument, substituteVariables } from "../../src/yaml-config/env-substitution.js";

/** A valid one-server inventory whose host has `hostLines` (address etc.); the host is on lines 5 onwards. */
const single = (hostLines: string) => `cluster:
  name: demo
  single_server: true
hosts:
  - name: node1
${hostLines}
    roles: [server, client, edge, observe]
`;

function problemsOf(text: string, env: NodeJS.ProcessEnv): string[] {
  try {
    parseInventory(text, "inv.yaml", env);
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
}

describe("substituteVariables", () => {
  const env = { IP: "10.0.0.7", EMPTY: "", DOLLAR: "a$b", NESTED: "${IP}" };
  it.each([
    ["${IP}", "10.0.0.7"],
    ["node-${IP}-x", "node-10.0.0.7-x"],
    ["${UNSET:-10.0.0.9}", "10.0.0.9"],
    ["${EMPTY:-fallback}", "fallback"],
    ["${IP:-fallback}", "10.0.0.7"],
    ["${EMPTY}", ""],
    ["$$IP", "$IP"],
    ["cost: $$5", "cost: $5"],
    ["a $ b $x", "a $ b $x"],
    ["${DOLLAR}", "a$b"],
    ["${NESTED}", "${IP}"],
    ["${UNSET:-}", ""],
  ])("%s → %s", (text, expected) => {
    const r = substituteVariables(text, env);
    expect(r.problems).toEqual([]);
    expect(r.value).toBe(expected);
  });

  it("reports an unset variable without default, an unterminated and an invalid reference", () => {
    expect(substituteVariables("${NODE1_IP}", {}).problems).toEqual([
      "environment variable NODE1_IP is not set (set it, or write ${NODE1_IP:-default})",
    ]);
    expect(substituteVariables("${OPEN", {}).problems[0]).toMatch(/^unterminated "\$\{"/);
    expect(substituteVariables("${1BAD}", {}).problems[0]).toMatch(
      /^invalid variable reference "\$\{1BAD\}"/,
    );
    expect(substituteVariables("${A B}", {}).problems[0]).toMatch(/^invalid variable reference/);
  });
});

describe("substitution in the inventory", () => {
  it("substitutes in values (not keys) and keeps positions: an unset variable is reported at its key", () => {
    const text = single("    address: ${NODE1_IP}");
    const problems = problemsOf(text, {});
    expect(problems).toContain(
      "inv.yaml:6:14 hosts[0].address: environment variable NODE1_IP is not set (set it, or write ${NODE1_IP:-default})",
    );
    // The variable's problem is reported once, not also as an invalid address.
    expect(problems.filter((p) => p.includes("hosts[0].address"))).toHaveLength(1);
  });

  it("uses the variable's value, or the default", () => {
    const text = single("    address: ${NODE1_IP}\n    private_address: ${NODE1_PRIVATE:-10.1.0.1}");
    const { inventory: inv } = parseInventory(text, "inv.yaml", { NODE1_IP: "192.0.2.7" });
    expect(inv.hosts[0]?.address).toBe("192.0.2.7");
    expect(inv.hosts[0]?.privateAddress).toBe("10.1.0.1");
  });

  it("gives an unquoted value the type YAML would (a number for a port), and leaves quoted values strings", () => {
    // Block style: in a flow map ({ … }) the braces of ${…} would end the map.
    const plain = single(
      "    address: 10.0.0.1\n    ssh:\n      port: ${SSH_PORT:-2222}\n      connect_timeout: ${T}",
    );
    const { inventory: inv } = parseInventory(plain, "inv.yaml", { T: "2.5" });
    expect(inv.hosts[0]?.ssh.port).toBe(2222);
    expect(inv.hosts[0]?.ssh.connectTimeoutSec).toBe(2.5);
    const quoted = single('    address: 10.0.0.1\n    ssh:\n      port: "${SSH_PORT:-2222}"');
    expect(problemsOf(quoted, {})).toEqual([
      'inv.yaml:8:13 hosts[0].ssh.port: expected a number, got the string "2222" (remove the quotes)',
    ]);
  });

  it("never lets a value add YAML structure", () => {
    const doc = parseDocument("a: ${X}\nb:\n  - ${Y}\n");
    expect(substituteInDocument(doc, { X: "1\nc: injected", Y: "2, 3]\nd: [4" })).toEqual([]);
    expect(doc.toJS()).toEqual({ a: "1\nc: injected", b: ["2, 3]\nd: [4"] });
    const text = single("    address: ${EVIL}");
    const problems = problemsOf(text, { EVIL: "10.0.0.1\n    private_address: 10.0.0.2" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^inv\.yaml:6:14 hosts\[0\]\.address: "10\.0\.0\.1\\n {4}private_address: 10\.0\.0\.2" is not a valid address/,
    );
  });

  it("does not substitute in keys", () => {
    const text = single("    address: 10.0.0.1\n    labels:\n      ${K}: v");
    expect(problemsOf(text, { K: "zone" })).toEqual([
      'inv.yaml:8:7 hosts[0].labels["${K}"]: "${K}" is not a valid key: use 1-63 letters, digits, "_", "." or "-", not starting with "." or "-"',
    ]);
  });
});

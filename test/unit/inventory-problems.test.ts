// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the inventory's variable syntax, not a template
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseInventory } from "../../src/inventory/index.js";

/** The problems parseInventory reports for `text` (none when it is valid). */
function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseInventory(text, "inv.yaml", env);
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
}

const yaml = (...lines: string[]) => `${lines.join("\n")}\n`;

/** A valid 3-host cluster; each case replaces some of its lines. Line numbers are in the comments. */
const CLUSTER = ["cluster:", "  name: demo"]; // 1-2
const HOSTS = [
  "hosts:", // 3
  "  - name: node1", // 4
  "    address: 10.0.0.1", // 5
  "    roles: [server, client]", // 6
  "  - name: node2", // 7
  "    address: 10.0.0.2", // 8
  "    roles: [server, client]", // 9
  "  - name: node3", // 10
  "    address: 10.0.0.3", // 11
  "    roles: [server, edge, observe]", // 12
];
const base = (replace: Record<number, string> = {}, extra: string[] = []) =>
  yaml(...[...CLUSTER, ...HOSTS].map((line, i) => replace[i + 1] ?? line), ...extra);

interface Case {
  name: string;
  text: string;
  env?: NodeJS.ProcessEnv;
  /** Every one of these lines is reported. */
  expected: string[];
  /** When set, exactly this many problems are reported. */
  count?: number;
}

const cases: Case[] = [
  {
    name: "malformed YAML",
    text: yaml("cluster:", "  name: demo", "hosts: [", "  - name: a"),
    expected: ["inv.yaml:4:3: invalid YAML: Block collections are not allowed within flow collections"],
  },
  {
    name: "tabs as indentation",
    text: yaml("cluster:", "\tname: demo"),
    expected: ["inv.yaml:2:1: invalid YAML: Tabs are not allowed as indentation"],
    count: 1,
  },
  {
    name: "duplicate key",
    text: base({ 2: "  name: demo\n  name: other" }),
    expected: ['inv.yaml:3:3 cluster.name: duplicate key "name": a key may appear once per map'],
    count: 1,
  },
  {
    name: "an empty file",
    text: "",
    expected: ["inv.yaml:1:1: the inventory is empty: run `np init` for a commented example"],
    count: 1,
  },
  {
    name: "a list at the top",
    text: yaml("- a", "- b"),
    expected: ["inv.yaml:1:1: expected a map of keys, got a list"],
    count: 1,
  },
  {
    name: "wrong types",
    text: base({ 2: "  name: demo\n  single_server: yes", 6: "    roles: server" }, ["ssh:", '  port: "22"']),
    expected: [
      'inv.yaml:3:18 cluster.single_server: expected true or false, got the string "yes"',
      'inv.yaml:7:12 hosts[0].roles: expected a list, got the string "server"',
      'inv.yaml:15:9 ssh.port: expected a number, got the string "22" (remove the quotes)',
    ],
  },
  {
    name: "a number where a version string is expected",
    text: base({}, ["versions:", "  nomad: 1.10"]),
    expected: [
      "inv.yaml:14:10 versions.nomad: expected a string, got the number 1.1 (put the value in quotes)",
    ],
    count: 1,
  },
  {
    name: "a version with a leading v",
    text: base({}, ["versions:", "  consul: v1.8.7"]),
    expected: [
      'inv.yaml:14:11 versions.consul: "v1.8.7" is not a valid version: use a release version such as 1.10.5, without a leading "v"',
    ],
  },
  {
    name: "a missing required key",
    text: base({ 5: "    roles: [server, client]", 6: "" }),
    expected: ["inv.yaml:4:5 hosts[0].address: is required"],
    count: 1,
  },
  {
    name: "duplicate host names",
    text: base({ 7: "  - name: node1" }),
    expected: ['inv.yaml:7:11 hosts[1].name: "node1" is already the name of hosts[0] (node1)'],
    count: 1,
  },
  {
    name: "duplicate addresses",
    text: base({ 11: "    address: 10.0.0.1" }),
    expected: ['inv.yaml:11:14 hosts[2].address: "10.0.0.1" is already the address of hosts[0] (node1)'],
    count: 1,
  },
  {
    name: "duplicate IPv6 addresses written differently",
    text: base({ 5: "    address: 2001:db8::1", 8: "    address: 2001:0db8:0:0::1" }),
    expected: [
      'inv.yaml:8:14 hosts[1].address: "2001:0db8:0:0::1" is already the address of hosts[0] (node1)',
    ],
    count: 1,
  },
  {
    name: "an IPv6 address with a zone",
    text: base({ 5: "    address: fe80::1%eth0" }),
    expected: ['inv.yaml:5:14 hosts[0].address: "fe80::1%eth0" is not a valid address'],
    count: 1,
  },
  {
    name: "duplicate private addresses",
    text: base({
      5: "    address: 10.0.0.1\n    private_address: 10.1.0.9",
      12: "    private_address: 10.1.0.9",
    }),
    expected: [
      'inv.yaml:13:22 hosts[2].private_address: private address "10.1.0.9" is already used by hosts[0] (node1)',
    ],
  },
  {
    name: "4 servers",
    text: base({}, ["  - name: node4", "    address: 10.0.0.4", "    roles: [server]"]),
    expected: [
      "inv.yaml:3:1 hosts: 4 servers tolerate no more failures than 3: use 3 or 5 servers (servers → failures tolerated: 1 → 0, 3 → 1, 5 → 2); servers: node1, node2, node3, node4",
    ],
    count: 1,
  },
  {
    name: "2 servers",
    text: base({ 9: "    roles: [client]" }),
    expected: ["inv.yaml:3:1 hosts: 2 servers tolerate no more failures than 1"],
    count: 1,
  },
  {
    name: "6 servers",
    text: base({}, [
      ...["4", "5", "6"].flatMap((n) => [
        `  - name: node${n}`,
        `    address: 10.0.0.${n}`,
        "    roles: [server]",
      ]),
    ]),
    expected: ["inv.yaml:3:1 hosts: 6 servers tolerate no more failures than 5"],
  },
  {
    name: "1 server without single_server",
    text: base({
      6: "    roles: [client]",
      9: "    roles: [server, client]",
      12: "    roles: [edge, observe]",
    }),
    expected: [
      "inv.yaml:3:1 hosts: 1 server tolerates no failure: use 3 or 5 servers, or set cluster.single_server: true for a development cluster",
    ],
  },
  {
    name: "single_server with 3 servers",
    text: base({ 2: "  name: demo\n  single_server: true" }),
    expected: [
      "inv.yaml:3:18 cluster.single_server: true needs exactly 1 server, found 3: remove single_server for a cluster of 3 or 5 servers; servers: node1, node2, node3",
    ],
    count: 1,
  },
  {
    name: "an unknown role",
    text: base({ 9: "    roles: [sever, client]" }),
    expected: [
      'inv.yaml:9:13 hosts[1].roles[0]: "sever" is not one of server, client, edge, observe (did you mean "server"?)',
    ],
    count: 1,
  },
  {
    name: "a role listed twice",
    text: base({ 6: "    roles: [server, client, server]" }),
    expected: ['inv.yaml:6:29 hosts[0].roles[2]: "server" is listed twice'],
    count: 1,
  },
  {
    name: "no roles",
    text: base({ 6: "    roles: []" }),
    expected: ["inv.yaml:6:12 hosts[0].roles: must list at least one role (server, client, edge, observe)"],
    count: 1,
  },
  {
    name: "no hosts",
    text: yaml(...CLUSTER, "hosts: []"),
    expected: ["inv.yaml:3:8 hosts: must list at least one host"],
    count: 1,
  },
  {
    name: "an unknown key with a close match",
    text: base({ 5: "    adress: 10.0.0.1" }),
    expected: ['inv.yaml:5:5 hosts[0].adress: unknown key "adress" (did you mean "address"?)'],
    count: 1,
  },
  {
    name: "a misspelt top-level section",
    text: yaml(...CLUSTER, ...HOSTS.map((l) => l.replace(/^hosts:/, "hots:"))),
    expected: ['inv.yaml:3:1 hots: unknown key "hots" (did you mean "hosts"?)'],
    count: 1,
  },
  {
    name: "an unknown key with no close match",
    text: base({}, ["traefik:", "  colour: blue"]),
    expected: ['inv.yaml:14:3 traefik.colour: unknown key "colour" (allowed: acme_email, dashboard_host)'],
    count: 1,
  },
  {
    name: "no observe node",
    text: base({ 12: "    roles: [server, edge]" }),
    expected: [
      'inv.yaml:3:1 hosts: no host has the observe role: give exactly one host the "observe" role (it runs OpenObserve)',
    ],
    count: 1,
  },
  {
    name: "two observe nodes",
    text: base({ 9: "    roles: [server, client, observe]" }),
    expected: [
      'inv.yaml:12:27 hosts[2].roles[2]: "observe" is already on node2: exactly one host runs OpenObserve',
    ],
    count: 1,
  },
  {
    name: "no edge node",
    text: base({ 12: "    roles: [server, observe]" }),
    expected: ['inv.yaml:3:1 hosts: no host has the edge role: give at least one host the "edge" role'],
    count: 1,
  },
  {
    name: "no client node",
    text: base({ 6: "    roles: [server]", 9: "    roles: [server]" }),
    expected: ['inv.yaml:3:1 hosts: no host has the client role: give at least one host the "client" role'],
    count: 1,
  },
  {
    name: "an unset environment variable",
    text: base({ 5: "    address: ${NODE1_IP}" }),
    expected: ["inv.yaml:5:14 hosts[0].address: environment variable NODE1_IP is not set"],
    count: 1,
  },
  {
    name: "a host name address without private_address",
    text: base({ 5: "    address: node1.example.com" }),
    expected: [
      'inv.yaml:4:5 hosts[0].private_address: is required when address is a host name ("node1.example.com"): Consul and Nomad bind to an IP address',
    ],
    count: 1,
  },
  {
    name: "a private_address that is a name",
    text: base({ 5: "    address: 10.0.0.1\n    private_address: node1.lan" }),
    expected: ['inv.yaml:6:22 hosts[0].private_address: "node1.lan" is not an IP address'],
    count: 1,
  },
  {
    name: "an impossible IPv4 address",
    text: base({ 5: "    address: 10.0.0.300" }),
    expected: ['inv.yaml:5:14 hosts[0].address: "10.0.0.300" is not a valid IPv4 address'],
    count: 1,
  },
  {
    name: "an override for a host that does not exist",
    text: base({}, ["preflight:", "  overrides:", "    node9: { memory_mb: 128 }"]),
    expected: ['inv.yaml:15:5 preflight.overrides.node9: no host is named "node9" (did you mean "node1"?)'],
    count: 1,
  },
  {
    name: "an empty override",
    text: base({}, ["preflight:", "  overrides:", "    node1: {}"]),
    expected: ["inv.yaml:15:12 preflight.overrides.node1: set memory_mb, cpu or both"],
    count: 1,
  },
  {
    name: "a mirror without url",
    text: base({}, ["artifacts:", "  source: mirror"]),
    expected: ['inv.yaml:14:3 artifacts.url: is required when artifacts.source is "mirror"'],
    count: 1,
  },
  {
    name: "a dir source without dir, and a url that would be ignored",
    text: base({}, ["artifacts:", "  source: dir", "  url: https://mirror.example/"]),
    expected: [
      'inv.yaml:14:3 artifacts.dir: is required when artifacts.source is "dir"',
      'inv.yaml:15:3 artifacts.url: is only used when artifacts.source is "mirror" (source is "dir"): set source: mirror or remove url',
    ],
    count: 2,
  },
  {
    name: "a mirror URL that is not http(s)",
    text: base({}, ["artifacts:", "  source: mirror", "  url: ftp://mirror.example/"]),
    expected: ['inv.yaml:15:8 artifacts.url: "ftp://mirror.example/" is not an http:// or https:// URL'],
    count: 1,
  },
  {
    name: "an invalid email",
    text: base({}, ["openobserve:", "  root_email: admin"]),
    expected: ['inv.yaml:14:15 openobserve.root_email: "admin" is not a valid email address'],
    count: 1,
  },
  {
    name: "a port out of range and a passphrase given instead of a variable name",
    text: base({}, ["ssh:", "  port: 70000", "  passphrase_env: hunter 2"]),
    expected: [
      "inv.yaml:14:9 ssh.port: must be at most 65535, got 70000",
      'inv.yaml:15:19 ssh.passphrase_env: "hunter 2" is not a valid environment variable name',
    ],
    count: 2,
  },
];

/** Values that would mean something to a shell; each must be refused where it stands. */
const HOSTILE = [
  '"node1; rm -rf /"',
  '"$(reboot)"',
  '"`reboot`"',
  '"no\'de"',
  '"no\\"de"',
  '"node\\n1"',
  '"node1 && x"',
];

describe("parseInventory reports bad inventories with FILE:LINE:COL and the key path", () => {
  it("accepts the base inventory the cases start from", () => {
    expect(problemsOf(base())).toEqual([]);
  });

  for (const c of cases) {
    it(c.name, () => {
      const problems = problemsOf(c.text, c.env);
      for (const line of c.expected)
        expect(
          problems.some((p) => p.startsWith(line)),
          `${line}\nin:\n${problems.join("\n")}`,
        ).toBe(true);
      if (c.count !== undefined) expect(problems, problems.join("\n")).toHaveLength(c.count);
      for (const p of problems) expect(p, "one problem per line").not.toContain("\n");
    });
  }

  for (const value of HOSTILE) {
    it(`refuses the host name ${value}`, () => {
      const problems = problemsOf(base({ 7: `  - name: ${value}` }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).not.toContain("\n");
      expect(problems[0]).toMatch(
        /^inv\.yaml:7:11 hosts\[1\]\.name: ".*" is not a valid host name: use 1-63 lowercase/,
      );
    });

    it(`refuses the label value ${value}, meta key ${value} and ssh user ${value}`, () => {
      const text = base(
        { 6: `    roles: [server, client]\n    labels: { zone: ${value} }\n    meta: { ${value}: x }` },
        ["ssh:", `  user: ${value}`],
      );
      const problems = problemsOf(text);
      expect(problems, problems.join("\n")).toHaveLength(3);
      expect(problems[0]).toMatch(/^inv\.yaml:7:21 hosts\[0\]\.labels\.zone: ".*" is not a valid value/);
      expect(problems[1]).toMatch(/^inv\.yaml:8:13 hosts\[0\]\.meta\[".*"\]: ".*" is not a valid key/);
      expect(problems[2]).toMatch(/^inv\.yaml:16:9 ssh\.user: ".*" is not a valid user name/);
    });
  }

  it("refuses an address with shell syntax in it", () => {
    expect(problemsOf(base({ 5: '    address: "10.0.0.1; reboot"' }))).toEqual([
      "inv.yaml:5:14 hosts[0].address: \"10.0.0.1; reboot\" is not a valid address: use an IPv4 or IPv6 address or a DNS host name (letters, digits, '-' and '.')",
    ]);
  });

  it("reports every problem at once, in file order, with a count in the error message", () => {
    let error: InputError | undefined;
    try {
      parseInventory(
        base({
          2: "  name: Demo",
          5: "    adress: 10.0.0.1",
          9: "    roles: [sever]",
          11: "    address: ${IP3}",
        }),
        "inv.yaml",
        {},
      );
    } catch (err) {
      error = err as InputError;
    }
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toBe("inv.yaml has 4 problems");
    expect(error?.exitCode).toBe(2);
    expect(error?.problems.map((p) => p.split(" ")[0])).toEqual([
      "inv.yaml:2:9",
      "inv.yaml:5:5",
      "inv.yaml:9:13",
      "inv.yaml:11:14",
    ]);
  });
});

import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { asRoot, shInline, shScript } from "../../src/remote/command.js";
import { quote, shellJoin } from "../../src/remote/quote.js";

const HOSTILE = [
  `bar"";baz!$#^$'&*~*%)({}||\\/`,
  "node1; rm -rf /",
  "$(reboot)",
  "`id`",
  "it's",
  "'",
  "''",
  'a"b',
  "line1\nline2",
  "tab\there",
  "  spaces  ",
  "*",
  "~root",
  "-n",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${...} is the point of this case
  "${HOME}",
  "a\\",
  "ünïcødé ✓",
  "",
  "&&",
  "#comment",
];

/** What a real POSIX shell makes of the joined command: each argument on its own NUL-terminated record. */
function throughShell(argv: string[]): string[] {
  const line = shellJoin(["printf", "%s\\0", ...argv]);
  const out = execFileSync("sh", ["-c", line], { encoding: "utf8" });
  return out.split("\0").slice(0, -1);
}

describe("quote", () => {
  it.each(HOSTILE)("round-trips %j through a real shell unchanged", (value) => {
    expect(throughShell([value])).toEqual([value]);
  });

  it("round-trips all hostile values at once, as separate arguments", () => {
    expect(throughShell(HOSTILE)).toEqual(HOSTILE);
  });

  it("leaves plain words readable", () => {
    expect(shellJoin(["systemctl", "restart", "consul.service"])).toBe("systemctl restart consul.service");
    expect(quote("/etc/consul.d/consul.hcl")).toBe("/etc/consul.d/consul.hcl");
  });

  it("quotes what the shell would interpret", () => {
    expect(quote("a b")).toBe("'a b'");
    expect(quote("it's")).toBe(`'it'\\''s'`);
    expect(quote("")).toBe("''");
  });

  it("refuses NUL bytes and empty commands", () => {
    expect(() => quote("a\0b")).toThrow(/NUL/);
    expect(() => shellJoin([])).toThrow(/empty/);
  });
});

describe("command builders", () => {
  it("adds non-interactive sudo only for a non-root login", () => {
    expect(asRoot(["true"], "root")).toEqual(["true"]);
    expect(asRoot(["true"], "deploy")).toEqual(["sudo", "-n", "--", "true"]);
  });

  it("passes values to inline scripts as positional parameters", () => {
    const argv = shInline('printf "%s" "$1"', ["$(reboot); rm -rf /"]);
    expect(execFileSync("sh", ["-c", shellJoin(argv)], { encoding: "utf8" })).toBe("$(reboot); rm -rf /");
    expect(shScript(["x"])).toEqual(["sh", "-s", "--", "x"]);
  });
});

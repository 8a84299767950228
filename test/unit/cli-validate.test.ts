// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the inventory's variable syntax, not a template
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runNp } from "../helpers/run-np.js";

const repo = path.resolve(import.meta.dirname, "../..");
const fixtures = path.join(repo, "test/fixtures/inventory");

/** A fresh folder holding copies of the named fixtures. */
function folderWith(...names: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "np-validate-"));
  for (const name of names) copyFileSync(path.join(fixtures, name), path.join(dir, name));
  return dir;
}

describe("np validate", () => {
  it("accepts inventory.example.yaml with exit 0 and a summary", () => {
    const r = runNp(["validate", "-i", "inventory.example.yaml"], { cwd: repo });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "inventory.example.yaml: valid — 5 hosts: 3 servers, 3 clients, 1 edge, 1 observe\n",
    );
  });

  it("lists every problem of a broken inventory with FILE:LINE:COL and exits 2", () => {
    const cwd = folderWith("broken.yaml");
    const r = runNp(["validate", "-i", "broken.yaml"], { cwd, env: { NODE2_IP: undefined } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toEqual([
      "error: broken.yaml has 6 problems",
      '  broken.yaml:4:9 ssh.port: expected a number, got the string "22" (remove the quotes)',
      '  broken.yaml:7:5 hosts[0].adress: unknown key "adress" (did you mean "address"?)',
      '  broken.yaml:9:11 hosts[1].name: "node2; rm -rf /" is not a valid host name: use 1-63 lowercase letters, digits or "-", not starting or ending with "-"',
      "  broken.yaml:10:14 hosts[1].address: environment variable NODE2_IP is not set (set it, or write ${NODE2_IP:-default})",
      '  broken.yaml:11:21 hosts[1].roles[1]: "sever" is not one of server, client, edge, observe (did you mean "server"?)',
      '  broken.yaml:15:21 hosts[2].labels.zone: "$(reboot)" is not a valid value: use at most 255 letters, digits, "_", ".", ":", "/" or "-"',
      "hint: fix them and run `np validate` to check again",
      "",
    ]);
  });

  it("accepts a one-server development cluster marked single_server", () => {
    const r = runNp(["validate", "-i", "single-server.yaml"], { cwd: folderWith("single-server.yaml") });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "single-server.yaml: valid — 1 host: 1 server, 1 client, 1 edge, 1 observe (single server: development only)\n",
    );
  });

  it("reads NP_INVENTORY, then ./inventory.yaml", () => {
    const cwd = folderWith("minimal.yaml", "broken.yaml");
    expect(runNp(["validate"], { cwd, env: { NP_INVENTORY: "minimal.yaml" } }).stdout).toMatch(
      /^minimal\.yaml: valid/,
    );
    copyFileSync(path.join(cwd, "broken.yaml"), path.join(cwd, "inventory.yaml"));
    const r = runNp(["validate"], { cwd, env: { NP_INVENTORY: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: inventory\.yaml has 6 problems/);
  });

  it("says when the inventory does not exist (exit 2, hint np init)", () => {
    const cwd = folderWith();
    const r = runNp(["validate"], { cwd, env: { NP_INVENTORY: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: inventory file not found: inventory.yaml\nhint: create one with `np init` or pass -i FILE\n",
    );
  });

  it("prints warnings for preflight overrides and still exits 0", () => {
    const cwd = folderWith("minimal.yaml");
    const minimal = readFileSync(path.join(cwd, "minimal.yaml"), "utf8");
    const overrides = "preflight:\n  overrides:\n    node3: { memory_mb: 128, cpu: 0.5 }\n";
    writeFileSync(path.join(cwd, "override.yaml"), `${minimal}${overrides}`);
    const r = runNp(["validate", "-i", "override.yaml"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^override\.yaml: valid — 3 hosts/);
    expect(r.stderr).toBe(
      "warning: preflight.overrides.node3: minimums overridden (memory_mb 128, cpu 0.5); preflight will use these instead of the role minimums\n",
    );
    const json = runNp(["validate", "--json", "-i", "override.yaml"], { cwd });
    expect(JSON.parse(json.stdout).warnings).toHaveLength(1);
  });

  it("prints { valid, problems, warnings } with --json, exit 0 when valid and 2 when not", () => {
    const cwd = folderWith("minimal.yaml", "broken.yaml");
    const ok = runNp(["validate", "--json", "-i", "minimal.yaml"], { cwd });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ valid: true, problems: [], warnings: [] });
    const bad = runNp(["--json", "validate", "-i", "broken.yaml"], { cwd, env: { NODE2_IP: undefined } });
    expect(bad.code).toBe(2);
    const report = JSON.parse(bad.stdout);
    expect(report.valid).toBe(false);
    expect(report.problems).toHaveLength(6);
    expect(report.problems[0]).toBe(
      'broken.yaml:4:9 ssh.port: expected a number, got the string "22" (remove the quotes)',
    );
    const missing = runNp(["validate", "--json", "-i", "nope.yaml"], { cwd });
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toEqual({
      valid: false,
      problems: ["inventory file not found: nope.yaml"],
      warnings: [],
    });
  });

  it("shows help with the flags and exit codes", () => {
    const r = runNp(["validate", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: np validate");
    expect(r.stdout.replace(/\s+/g, " ")).toContain("without touching any host");
    expect(r.stdout).toContain("--inventory <file>");
    expect(r.stdout).toContain("--json");
    expect(r.stdout).toContain("Exit codes: 0 valid, 2 invalid or not found.");
  });
});

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { inventoryJsonSchema } from "../../src/inventory/index.js";
import { runNp } from "../helpers/run-np.js";

const repo = path.resolve(import.meta.dirname, "../..");
const example = readFileSync(path.join(repo, "inventory.example.yaml"), "utf8");
const emptyFolder = () => mkdtempSync(path.join(os.tmpdir(), "np-init-"));
const noInventoryEnv = { NP_INVENTORY: undefined };

describe("np init", () => {
  it("writes a commented inventory and its JSON Schema, and the inventory validates as written", () => {
    const cwd = emptyFolder();
    const r = runNp(["init"], { cwd, env: noInventoryEnv });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("wrote inventory.yaml (and inventory.schema.json for editor completion)");
    const written = readFileSync(path.join(cwd, "inventory.yaml"), "utf8");
    expect(written).toBe(example);
    expect(written.split("\n")[0]).toBe("# yaml-language-server: $schema=./inventory.schema.json");
    expect(readFileSync(path.join(cwd, "inventory.schema.json"), "utf8")).toBe(inventoryJsonSchema());
    const v = runNp(["validate"], { cwd, env: noInventoryEnv });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^inventory\.yaml: valid — 5 hosts/);
  });

  it("refuses to overwrite an existing inventory (exit 2, hint --force) and leaves it as it was", () => {
    const cwd = emptyFolder();
    writeFileSync(path.join(cwd, "inventory.yaml"), "mine\n");
    const r = runNp(["init"], { cwd, env: noInventoryEnv });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: inventory.yaml already exists");
    expect(r.stderr).toContain("hint: pass --force to overwrite it");
    expect(readFileSync(path.join(cwd, "inventory.yaml"), "utf8")).toBe("mine\n");
    expect(existsSync(path.join(cwd, "inventory.schema.json"))).toBe(false);
  });

  it("overwrites with --force", () => {
    const cwd = emptyFolder();
    writeFileSync(path.join(cwd, "inventory.yaml"), "mine\n");
    expect(runNp(["init", "--force"], { cwd, env: noInventoryEnv }).code).toBe(0);
    expect(readFileSync(path.join(cwd, "inventory.yaml"), "utf8")).toBe(example);
  });

  it("writes where --path or -i says, creating the folder", () => {
    const cwd = emptyFolder();
    expect(runNp(["init", "--path", "prod/cluster.yaml"], { cwd }).code).toBe(0);
    expect(existsSync(path.join(cwd, "prod/cluster.yaml"))).toBe(true);
    expect(existsSync(path.join(cwd, "prod/inventory.schema.json"))).toBe(true);
    expect(runNp(["validate", "-i", "prod/cluster.yaml"], { cwd }).code).toBe(0);
    expect(runNp(["-i", "staging.yaml", "init"], { cwd }).code).toBe(0);
    expect(existsSync(path.join(cwd, "staging.yaml"))).toBe(true);
  });

  it("shows help with its flags", () => {
    const r = runNp(["init", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: np init");
    expect(r.stdout).toContain("--force");
    expect(r.stdout).toContain("--path <file>");
  });
});

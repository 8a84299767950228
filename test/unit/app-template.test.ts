import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { APP_TEMPLATE, appJsonSchema, loadApp, writeAppTemplate } from "../../src/app/index.js";
import { load } from "./app-fixtures.js";

const committed = path.resolve(import.meta.dirname, "../../np.schema.json");
const emptyFolder = () => mkdtempSync(path.join(os.tmpdir(), "np-init-app-"));

describe("np.schema.json", () => {
  it("is the JSON Schema generated from the zod schema (run `npm run schema` after changing it)", () => {
    const onDisk = readFileSync(committed, "utf8");
    expect(
      onDisk === appJsonSchema(),
      "np.schema.json is out of date: run `npm run schema` and commit it",
    ).toBe(true);
  });

  it("refuses unknown keys and documents defaults, so editors complete and check np.yaml", () => {
    const schema = JSON.parse(appJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["name"]);
    expect(schema.properties.driver.enum).toEqual(["docker", "exec", "raw_exec"]);
    expect(schema.properties.count.default).toBe(1);
    expect(schema.properties.update.properties.auto_revert.default).toBe(true);
    expect(schema.properties.update.additionalProperties).toBe(false);
    expect(schema.properties.shutdown_delay.default).toBe("5s");
    expect(schema.properties.env.description).toMatch(/secret/);
  });
});

describe("np init app (the template)", () => {
  it("validates as written, without warnings, and starts with the schema line", () => {
    expect(APP_TEMPLATE.split("\n")[0]).toBe("# yaml-language-server: $schema=./np.schema.json");
    const { app, warnings } = load(APP_TEMPLATE);
    expect(warnings).toEqual([]);
    expect(app).toMatchObject({
      name: "web",
      driver: "docker",
      port: 8080,
      count: 2,
      domains: ["web.example.com"],
    });
    expect(Object.keys(app.env)).toEqual(["LOG_LEVEL", "DATABASE_URL"]);
  });

  it("documents every top-level field (commented or set)", () => {
    for (const key of Object.keys(JSON.parse(appJsonSchema()).properties))
      expect(APP_TEMPLATE, key).toMatch(new RegExp(`^#? ?${key}:`, "m"));
  });

  it("writes np.yaml and np.schema.json, refuses to overwrite (exit 2) unless forced", async () => {
    const dir = emptyFolder();
    const file = path.join(dir, "app", "np.yaml");
    const written = await writeAppTemplate(file, { force: false });
    expect(written).toEqual({ app: file, schema: path.join(dir, "app", "np.schema.json") });
    expect(readFileSync(file, "utf8")).toBe(APP_TEMPLATE);
    expect(readFileSync(written.schema, "utf8")).toBe(appJsonSchema());
    expect((await loadApp(file, {})).app.name).toBe("web");

    writeFileSync(file, "mine\n");
    await expect(writeAppTemplate(file, { force: false, shown: "app/np.yaml" })).rejects.toMatchObject({
      exitCode: 2,
      message: "app/np.yaml already exists",
      hint: "pass --force to overwrite it, or --path FILE",
    });
    expect(readFileSync(file, "utf8")).toBe("mine\n");
    await writeAppTemplate(file, { force: true });
    expect(readFileSync(file, "utf8")).toBe(APP_TEMPLATE);
    expect(existsSync(written.schema)).toBe(true);
  });
});

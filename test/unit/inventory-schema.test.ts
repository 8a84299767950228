import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { inventoryJsonSchema } from "../../src/inventory/index.js";
import { inventorySchema } from "../../src/inventory/schema.js";
import { didYouMean, editDistance } from "../../src/yaml-config/did-you-mean.js";
import { allowedKeys } from "../../src/yaml-config/schema-issues.js";

const committed = path.resolve(import.meta.dirname, "../../inventory.schema.json");

describe("inventory.schema.json", () => {
  it("is the JSON Schema generated from the zod schema (run `npm run schema` after changing it)", () => {
    const generated = inventoryJsonSchema();
    const onDisk = readFileSync(committed, "utf8");
    expect(
      onDisk === generated,
      "inventory.schema.json is out of date: run `npm run schema` and commit it",
    ).toBe(true);
  });

  it("refuses unknown keys and documents defaults, so editors complete and check the inventory", () => {
    const schema = JSON.parse(inventoryJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["cluster", "hosts"]);
    const host = schema.properties.hosts.items;
    expect(host.additionalProperties).toBe(false);
    expect(host.required).toEqual(["name", "address", "roles"]);
    expect(host.properties.roles.items.enum).toEqual(["server", "client", "edge", "observe"]);
    expect(schema.properties.versions.properties.nomad.default).toBe("1.10.5");
    expect(schema.properties.ssh.properties.port.default).toBe(22);
    expect(host.properties.name.description).toMatch(/DNS label/);
  });
});

describe("did you mean", () => {
  it("measures edits, counting a swap as one", () => {
    expect(editDistance("adress", "address")).toBe(1);
    expect(editDistance("nmae", "name")).toBe(1);
    expect(editDistance("Address", "address")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("suggests the closest allowed key, or nothing when none is close", () => {
    const keys = allowedKeys(inventorySchema, ["hosts", 0]);
    expect(keys).toEqual([
      "name",
      "address",
      "private_address",
      "roles",
      "node_class",
      "labels",
      "meta",
      "ssh",
    ]);
    expect(didYouMean("adress", keys)).toBe("address");
    expect(didYouMean("role", keys)).toBe("roles");
    expect(didYouMean("privat_adress", keys)).toBe("private_address");
    expect(didYouMean("colour", keys)).toBeUndefined();
    expect(allowedKeys(inventorySchema, ["hosts", 3, "ssh", "bastion"])).toEqual([
      "host",
      "user",
      "port",
      "key",
    ]);
    expect(allowedKeys(inventorySchema, ["preflight", "overrides", "node1"])).toEqual(["memory_mb", "cpu"]);
  });
});

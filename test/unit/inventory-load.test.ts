import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { type HostLookup, loadInventory } from "../../src/inventory/index.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "np-inventory-load-"));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** Resolves only the names listed; records every name asked for. */
function fakeLookup(known: string[]): HostLookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (name: string) => {
    asked.push(name);
    if (!known.includes(name)) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  };
  return Object.assign(lookup, { asked });
}

async function loadError(file: string, lookup?: HostLookup): Promise<InputError> {
  const err = await loadInventory(file, {}, lookup ? { lookup } : {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof InputError)) throw new Error(`expected an InputError, got ${String(err)}`);
  return err;
}

const cluster = (hosts: string, ssh = "") => `cluster:
  name: demo
${ssh}hosts:
${hosts}`;

describe("loadInventory", () => {
  it("says a missing file is missing and how to create one", async () => {
    const err = await loadError(path.join(dir, "nope.yaml"));
    expect(err.message).toBe(`inventory file not found: ${path.join(dir, "nope.yaml")}`);
    expect(err.hint).toBe("create one with `np init` or pass -i FILE");
    expect(err.exitCode).toBe(2);
  });

  it("resolves host names and reports the ones that do not resolve, together with the other problems", async () => {
    const file = write(
      "names.yaml",
      cluster(`  - name: node1
    address: good.example
    private_address: 10.0.0.1
    roles: [server, client]
  - name: node2
    address: bad.example
    private_address: 10.0.0.2
    roles: [server, client]
  - name: node3
    address: 10.0.0.3
    roles: [server, edge, observe, bogus]
`),
    );
    const lookup = fakeLookup(["good.example"]);
    const err = await loadError(file, lookup);
    expect(lookup.asked.sort()).toEqual(["bad.example", "good.example"]);
    expect(err.message).toBe(`${file} has 2 problems`);
    expect(err.problems).toEqual([
      `${file}:9:14 hosts[1].address: host name "bad.example" does not resolve (ENOTFOUND): use an IP address or a name this machine can resolve`,
      `${file}:14:36 hosts[2].roles[3]: "bogus" is not one of server, client, edge, observe`,
    ]);
  });

  it("leaves the names of hosts behind a bastion to the bastion, but resolves the bastion", async () => {
    const file = write(
      "bastion.yaml",
      cluster(
        `  - name: node1
    address: internal.lan
    private_address: 10.0.0.1
    roles: [server, client, edge, observe]
`,
        "  single_server: true\nssh:\n  bastion: { host: jump.example }\n",
      ),
    );
    const lookup = fakeLookup([]);
    const err = await loadError(file, lookup);
    expect(lookup.asked).toEqual(["jump.example"]);
    expect(err.problems).toEqual([
      `${file}:5:20 ssh.bastion.host: host name "jump.example" does not resolve (ENOTFOUND): use an IP address or a name this machine can resolve`,
    ]);
  });

  it("names a relative file as given and resolves it against the current folder", async () => {
    write(
      "valid.yaml",
      cluster(
        "  - name: node1\n    address: 10.0.0.1\n    roles: [server, client, edge, observe]\n",
        "  single_server: true\n",
      ),
    );
    const relative = path.relative(process.cwd(), path.join(dir, "valid.yaml"));
    const { inventory } = await loadInventory(relative, {}, { lookup: fakeLookup([]) });
    expect(inventory.file).toBe(path.join(dir, "valid.yaml"));
    write("broken.yaml", "cluster: [\n");
    const err = await loadError(path.relative(process.cwd(), path.join(dir, "broken.yaml")));
    expect(
      err.problems[0]?.startsWith(`${path.relative(process.cwd(), path.join(dir, "broken.yaml"))}:`),
    ).toBe(true);
  });

  it("resolves real names with the system resolver (localhost)", async () => {
    const file = write(
      "localhost.yaml",
      cluster(
        "  - name: node1\n    address: localhost\n    private_address: 127.0.0.1\n    roles: [server, client, edge, observe]\n",
        "  single_server: true\n",
      ),
    );
    const { inventory } = await loadInventory(file, {});
    expect(inventory.hosts[0]?.address).toBe("localhost");
  });
});

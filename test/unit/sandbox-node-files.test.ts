import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseInventory } from "../../src/inventory/index.js";
import { BASE_PACKAGES, debootstrapArgv } from "../../src/sandbox/base-root.js";
import { replaceKnownHosts } from "../../src/sandbox/host-keys.js";
import { renderInventory } from "../../src/sandbox/inventory-file.js";
import { roleLayout } from "../../src/sandbox/layout.js";
import { hostNetworkFile, hostsFile } from "../../src/sandbox/node-root.js";
import { machineName, nspawnArgv } from "../../src/sandbox/nspawn-argv.js";
import { isNspawnFor, rootIsOverlayWithUpper } from "../../src/sandbox/processes.js";
import { fakeMeminfo, smallMemoryUnit } from "../../src/sandbox/small-node.js";

describe("sandbox node files", () => {
  it("writes a meminfo that reads like the kernel's and reports 131072 kB", () => {
    const text = fakeMeminfo();
    const fields = Object.fromEntries(
      text
        .trimEnd()
        .split("\n")
        .map((line) => {
          const m = /^(\w+(?:\(\w+\))?):\s+(\d+) kB$/.exec(line);
          expect(m, line).not.toBeNull();
          return [m?.[1], Number(m?.[2])];
        }),
    );
    expect(fields.MemTotal).toBe(131072);
    expect(fields.MemFree).toBeLessThan(131072);
    expect(fields.MemAvailable).toBeGreaterThan(fields.MemFree);
    expect(fields.MemAvailable).toBeLessThan(131072);
    expect(text.startsWith("MemTotal:         131072 kB\n")).toBe(true);
  });

  it("mounts the fake meminfo from a oneshot unit that runs before sshd", () => {
    const unit = smallMemoryUnit();
    expect(unit).toContain("ExecStart=/bin/mount --bind /etc/np-sandbox/meminfo /proc/meminfo");
    expect(unit).toMatch(/^Before=.*ssh\.service/m);
    expect(unit).toContain("DefaultDependencies=no");
  });

  it("gives host0 a static address and gateway", () => {
    expect(hostNetworkFile("10.213.7.11", 24, "10.213.7.1")).toBe(
      "[Match]\nName=host0\n\n[Network]\nAddress=10.213.7.11/24\nGateway=10.213.7.1\n",
    );
    expect(hostsFile("node2")).toContain("127.0.1.1\tnode2\n");
  });

  it("boots a node with nspawn flags that work without systemd as the host's PID 1", () => {
    const spec = { name: "node1", machine: machineName("np", "node1"), address: "10.213.7.11", small: false };
    const argv = nspawnArgv("/var/lib/np/sandbox/np/nodes/node1/root", "np-np", spec);
    expect(argv).toEqual([
      "--quiet",
      "--directory",
      "/var/lib/np/sandbox/np/nodes/node1/root",
      "--boot",
      "--register=no",
      "--keep-unit",
      "--network-bridge=np-np",
      "--machine",
      "np-node1",
      "--hostname=node1",
      "--link-journal=no",
      "--console=read-only",
    ]);
    expect(nspawnArgv("/r", "np-np", { ...spec, small: true })).toContain("--cpu-affinity=0");
  });

  it("recognises a node's nspawn by its root, and its container init by the overlay upper dir", () => {
    const root = "/var/lib/np/sandbox/np/nodes/node1/root";
    expect(isNspawnFor(["/usr/bin/systemd-nspawn", "--quiet", "--directory", root, "--boot"], root)).toBe(
      true,
    );
    expect(isNspawnFor(["/usr/bin/systemd-nspawn", "--directory", `${root}2`], root)).toBe(false);
    expect(isNspawnFor(["/bin/sleep", "--directory", root], root)).toBe(false);
    const upper = "/var/lib/np/sandbox/np/nodes/node1/upper";
    const mountinfo = `265 243 0:39 / / rw,relatime shared:16 - overlay overlay rw,lowerdir=/var/lib/np/sandbox/base-bookworm,upperdir=${upper},workdir=/w,uuid=on\n266 265 0:40 / /proc rw - proc proc rw\n`;
    expect(rootIsOverlayWithUpper(mountinfo, upper)).toBe(true);
    expect(rootIsOverlayWithUpper(mountinfo, "/var/lib/np/sandbox/np/nodes/node1/up")).toBe(false);
    expect(rootIsOverlayWithUpper(mountinfo.replace(" / / ", " / /mnt "), upper)).toBe(false);
  });

  it("builds the base root with debootstrap minbase and the packages a bare VM is expected to have", () => {
    expect(debootstrapArgv("/tmp/x")).toEqual([
      "--variant=minbase",
      `--include=${BASE_PACKAGES.join(",")}`,
      "bookworm",
      "/tmp/x",
      "http://deb.debian.org/debian",
    ]);
    for (const p of ["systemd", "systemd-sysv", "openssh-server", "sudo"]) expect(BASE_PACKAGES).toContain(p);
  });

  it("replaces the pins of recreated nodes in known_hosts and keeps every other line", () => {
    const before =
      "# mine\n10.213.7.11 ssh-ed25519 OLD\n10.0.0.5 ssh-ed25519 OTHER\n[10.213.7.11]:2222 ssh-rsa PORT\n";
    expect(replaceKnownHosts(before, ["10.213.7.11"], ["10.213.7.11 ssh-ed25519 NEW"])).toBe(
      "# mine\n10.0.0.5 ssh-ed25519 OTHER\n[10.213.7.11]:2222 ssh-rsa PORT\n10.213.7.11 ssh-ed25519 NEW\n",
    );
    expect(replaceKnownHosts("", ["10.213.7.11"], ["10.213.7.11 ssh-ed25519 NEW"])).toBe(
      "10.213.7.11 ssh-ed25519 NEW\n",
    );
  });

  it("renders an inventory in np's shape with the layout documented in its header", () => {
    const hosts = roleLayout(5).map((n, i) => ({ ...n, address: `10.213.7.${11 + i}` }));
    const text = renderInventory({
      sandbox: "np",
      bridge: "np-np",
      subnet: "10.213.7.0/24",
      keyFile: "/var/lib/np/sandbox/np/id_ed25519",
      hosts,
      small: ["node5"],
      schemaPath: "/opt/np/inventory.schema.json",
    });
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=/opt/np/inventory.schema.json");
    expect(text).toMatch(/^# {3}node5 {2}client, observe +needs 1\.75 CPU, 512 MB$/m);
    expect(text).toContain("Small nodes (report 1 CPU and 128 MB, for preflight tests): node5.");
    expect(text).toContain("    roles: [client, edge]\n");
    expect(parse(text)).toEqual({
      cluster: { name: "sandbox", datacenter: "dc1", region: "global" },
      ssh: { user: "root", port: 22, key: "/var/lib/np/sandbox/np/id_ed25519" },
      hosts: hosts.map((h) => ({ name: h.name, address: h.address, roles: h.roles })),
    });
  });
});

describe("the sandbox inventory rewritten by a later np sandbox up", () => {
  const inventory = (small: string[] = []) => ({
    sandbox: "np",
    bridge: "np-np",
    subnet: "10.213.7.0/24",
    keyFile: "/var/lib/np/sandbox/np/id_ed25519",
    hosts: roleLayout(5).map((h, i) => ({ ...h, address: `10.213.7.${11 + i}` })),
    small,
  });

  it("keeps the sections a user added (a pasted artifacts.yaml), with their comments, and replaces its own", () => {
    const first = renderInventory(inventory(["node5"]));
    const pasted = `${first}# TEST mirror built by test/tools/build-mirror.ts: tests only.
artifacts:
  source: dir
  dir: /tmp/q/mirror
  trusted_keys:
    - /tmp/q/mirror/test-signing-key.asc
versions:
  consul: 1.8.7 # the real one
  nomad: 1.10.5
`;
    const edited = pasted.replace("10.213.7.12", "10.9.9.9");
    const text = renderInventory(inventory(), edited);
    const doc = parse(text);
    expect(doc.hosts[1].address).toBe("10.213.7.12");
    expect(doc.artifacts).toEqual({
      source: "dir",
      dir: "/tmp/q/mirror",
      trusted_keys: ["/tmp/q/mirror/test-signing-key.asc"],
    });
    expect(doc.versions).toEqual({ consul: "1.8.7", nomad: "1.10.5" });
    expect(Object.keys(doc)).toEqual(["cluster", "ssh", "hosts", "artifacts", "versions"]);
    expect(text).toContain("# TEST mirror built by test/tools/build-mirror.ts: tests only.\nartifacts:");
    expect(text).toContain("consul: 1.8.7 # the real one");
    expect(text).not.toContain("Small nodes");
    // Rewriting again changes nothing more.
    expect(renderInventory(inventory(), text)).toBe(text);
  });

  it("writes only its own sections over a file that is not a YAML map", () => {
    expect(renderInventory(inventory(), "artifacts: [\n")).toBe(renderInventory(inventory()));
    expect(renderInventory(inventory(), "- a\n- b\n")).toBe(renderInventory(inventory()));
  });
});

describe("the sandbox inventory and np's inventory model", () => {
  it("is a valid inventory for every node count np sandbox accepts", () => {
    for (let n = 3; n <= 20; n++) {
      const hosts = roleLayout(n).map((h, i) => ({ ...h, address: `10.213.7.${11 + i}` }));
      const text = renderInventory({
        sandbox: "np",
        bridge: "np-np",
        subnet: "10.213.7.0/24",
        keyFile: "/var/lib/np/sandbox/np/id_ed25519",
        hosts,
        small: [],
      });
      const { inventory, warnings } = parseInventory(text, "/tmp/sandbox.inventory.yaml", {});
      expect(warnings, `${n} nodes`).toEqual([]);
      expect(inventory.hosts.map((h) => h.name)).toEqual(hosts.map((h) => h.name));
    }
  });
});

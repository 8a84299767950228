import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractBinary } from "../../src/artifacts/extract.js";
import { releaseFiles } from "../../src/artifacts/layout.js";
import { OperationError } from "../../src/errors.js";
import { tarGz } from "../tools/build-mirror.ts";

const nomad = releaseFiles({ product: "nomad", version: "1.10.5", arch: "amd64" });
const traefik = releaseFiles({ product: "traefik", version: "3.7.9", arch: "amd64" });
const openobserve = releaseFiles({ product: "openobserve", version: "0.14.7", arch: "amd64" });
const bytes = (s: string) => new TextEncoder().encode(s);

describe("extracting the executable from a release archive", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "np-extract-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("zip: takes the <product> entry and ignores the others", () => {
    const zip = zipSync({
      "LICENSE.txt": bytes("MPL"),
      nomad: bytes("#!/bin/sh\necho nomad\n"),
      "sub/nomad": bytes("x"),
    });
    expect(new TextDecoder().decode(extractBinary(nomad, zip))).toBe("#!/bin/sh\necho nomad\n");
  });

  it("zip without the entry, or not a zip at all, is an error naming the archive", () => {
    expect(() => extractBinary(nomad, zipSync({ consul: bytes("c") }))).toThrow(
      "nomad_1.10.5_linux_amd64.zip does not contain nomad",
    );
    expect(() => extractBinary(nomad, bytes("not a zip"))).toThrow(OperationError);
    expect(() => extractBinary(nomad, bytes("not a zip"))).toThrow(
      "cannot extract nomad from nomad_1.10.5_linux_amd64.zip",
    );
  });

  it("tar.gz built in the test: takes the traefik entry beside LICENSE.md and CHANGELOG.md", () => {
    const big = new Uint8Array(70_000).map((_, i) => i % 251);
    const tgz = tarGz([
      { name: "LICENSE.md", data: bytes("MIT") },
      { name: "traefik", data: big, mode: 0o755 },
      { name: "CHANGELOG.md", data: bytes("changes") },
    ]);
    expect(extractBinary(traefik, tgz)).toEqual(big);
  });

  it.each(["gnu", "pax", "ustar"])(
    "tar.gz made by GNU tar --format=%s (a long-named decoy first, a symlink, ./openobserve)",
    async (format) => {
      const src = path.join(tmp, `src-${format}`);
      const long = `${"d".repeat(60)}/${"e".repeat(60)}`;
      execFileSync("mkdir", ["-p", path.join(src, long)]);
      await writeFile(path.join(src, long, "openobserve"), "decoy");
      await writeFile(path.join(src, "openobserve"), "the real one");
      await symlink("openobserve", path.join(src, "link"));
      const tgzPath = path.join(tmp, `o-${format}.tar.gz`);
      execFileSync("tar", [`--format=${format}`, "-czf", tgzPath, "-C", src, long, "link", "./openobserve"]);
      expect(execFileSync("tar", ["-tzf", tgzPath], { encoding: "utf8" })).toContain(`${long}/openobserve`);
      expect(new TextDecoder().decode(extractBinary(openobserve, await readFile(tgzPath)))).toBe(
        "the real one",
      );
    },
  );

  it("tar.gz where the binary is only a symlink or missing is an error", async () => {
    const src = path.join(tmp, "src2");
    execFileSync("mkdir", ["-p", src]);
    await writeFile(path.join(src, "real"), "x");
    await symlink("real", path.join(src, "traefik"));
    const tgzPath = path.join(tmp, "t.tar.gz");
    execFileSync("tar", ["-czf", tgzPath, "-C", src, "traefik", "real"]);
    expect(() => extractBinary(traefik, execFileSync("cat", [tgzPath]))).toThrow(
      "traefik_v3.7.9_linux_amd64.tar.gz does not contain traefik",
    );
    expect(() => extractBinary(traefik, bytes("garbage"))).toThrow(OperationError);
  });
});

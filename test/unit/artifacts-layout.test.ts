import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultCacheDir } from "../../src/artifacts/cache.js";
import { archOf, binaryName, locate, releaseFiles } from "../../src/artifacts/layout.js";
import type { ArtifactsSettings, Product } from "../../src/artifacts/types.js";

const releases: ArtifactsSettings = { source: "releases", trustedKeys: [] };
const mirror: ArtifactsSettings = {
  source: "mirror",
  url: "https://mirror.example.com/hashi",
  trustedKeys: [],
};
const dir: ArtifactsSettings = { source: "dir", dir: "/srv/artifacts", trustedKeys: [] };

function url(settings: ArtifactsSettings, product: Product, version: string, file: string): string {
  const loc = locate(settings, product, version, file);
  return loc.kind === "url" ? loc.url : loc.path;
}

describe("release layout per source, product and arch", () => {
  it("HashiCorp products: zip, SHA256SUMS and signatures (key-suffixed first) on releases.hashicorp.com", () => {
    const f = releaseFiles({ product: "nomad", version: "1.10.5", arch: "arm64" });
    expect(f).toMatchObject({
      archive: "nomad_1.10.5_linux_arm64.zip",
      archiveKind: "zip",
      entry: "nomad",
      checksums: "nomad_1.10.5_SHA256SUMS",
      signatures: ["nomad_1.10.5_SHA256SUMS.72D7468F.sig", "nomad_1.10.5_SHA256SUMS.sig"],
    });
    expect(url(releases, "consul", "1.8.7", "consul_1.8.7_linux_amd64.zip")).toBe(
      "https://releases.hashicorp.com/consul/1.8.7/consul_1.8.7_linux_amd64.zip",
    );
    expect(url(releases, "nomad", "1.10.5", f.checksums)).toBe(
      "https://releases.hashicorp.com/nomad/1.10.5/nomad_1.10.5_SHA256SUMS",
    );
  });

  it("Traefik: GitHub release tar.gz and goreleaser checksums, no signature", () => {
    const f = releaseFiles({ product: "traefik", version: "3.7.9", arch: "amd64" });
    expect(f).toMatchObject({
      archive: "traefik_v3.7.9_linux_amd64.tar.gz",
      archiveKind: "tar.gz",
      entry: "traefik",
      checksums: "traefik_v3.7.9_checksums.txt",
      signatures: [],
    });
    expect(url(releases, "traefik", "3.7.9", f.archive)).toBe(
      "https://github.com/traefik/traefik/releases/download/v3.7.9/traefik_v3.7.9_linux_amd64.tar.gz",
    );
    expect(url(releases, "traefik", "3.7.9", f.checksums)).toBe(
      "https://github.com/traefik/traefik/releases/download/v3.7.9/traefik_v3.7.9_checksums.txt",
    );
  });

  it("OpenObserve: tar.gz on downloads.openobserve.ai with a per-asset .sha256sum", () => {
    const f = releaseFiles({ product: "openobserve", version: "0.14.7", arch: "arm64" });
    expect(f).toMatchObject({
      archive: "openobserve-v0.14.7-linux-arm64.tar.gz",
      entry: "openobserve",
      checksums: "openobserve-v0.14.7-linux-arm64.tar.gz.sha256sum",
      checksumsKind: "single",
    });
    expect(url(releases, "openobserve", "0.14.7", f.archive)).toBe(
      "https://downloads.openobserve.ai/releases/openobserve/v0.14.7/openobserve-v0.14.7-linux-arm64.tar.gz",
    );
  });

  it("Node.js: the .tar.gz (x64 for amd64) with its top folder, SHASUMS256.txt and .sig on nodejs.org/dist", () => {
    const amd = releaseFiles({ product: "node", version: "24.22.3", arch: "amd64" });
    expect(amd).toEqual({
      archive: "node-v24.22.3-linux-x64.tar.gz",
      archiveKind: "tar.gz",
      entry: "node-v24.22.3-linux-x64/bin/node",
      checksums: "SHASUMS256.txt",
      checksumsKind: "sums",
      signatures: ["SHASUMS256.txt.sig"],
      signer: "nodejs",
    });
    expect(binaryName(amd)).toBe("node");
    const arm = releaseFiles({ product: "node", version: "24.22.3", arch: "arm64" });
    expect([arm.archive, arm.entry]).toEqual([
      "node-v24.22.3-linux-arm64.tar.gz",
      "node-v24.22.3-linux-arm64/bin/node",
    ]);
    expect(url(releases, "node", "24.22.3", amd.archive)).toBe(
      "https://nodejs.org/dist/v24.22.3/node-v24.22.3-linux-x64.tar.gz",
    );
    expect(url(releases, "node", "24.22.3", "SHASUMS256.txt.sig")).toBe(
      "https://nodejs.org/dist/v24.22.3/SHASUMS256.txt.sig",
    );
    expect(url(mirror, "node", "24.22.3", "SHASUMS256.txt")).toBe(
      "https://mirror.example.com/hashi/node/24.22.3/SHASUMS256.txt",
    );
    expect(locate(dir, "node", "24.22.3", arm.archive)).toEqual({
      kind: "file",
      path: "/srv/artifacts/node/24.22.3/node-v24.22.3-linux-arm64.tar.gz",
    });
  });

  it("mirror and dir use <product>/<version>/<vendor's file name> under their base, for every product", () => {
    expect(url(mirror, "nomad", "1.10.5", "nomad_1.10.5_SHA256SUMS.sig")).toBe(
      "https://mirror.example.com/hashi/nomad/1.10.5/nomad_1.10.5_SHA256SUMS.sig",
    );
    expect(
      url({ ...mirror, url: "http://10.0.0.5:8080/m/" }, "traefik", "3.7.9", "traefik_v3.7.9_checksums.txt"),
    ).toBe("http://10.0.0.5:8080/m/traefik/3.7.9/traefik_v3.7.9_checksums.txt");
    expect(locate(dir, "openobserve", "0.14.7", "openobserve-v0.14.7-linux-amd64.tar.gz")).toEqual({
      kind: "file",
      path: "/srv/artifacts/openobserve/0.14.7/openobserve-v0.14.7-linux-amd64.tar.gz",
    });
  });

  it("maps uname -m to the release arch and refuses others", () => {
    expect(archOf("x86_64")).toBe("amd64");
    expect(archOf("aarch64")).toBe("arm64");
    expect(() => archOf("armv7l")).toThrow("architecture armv7l is not supported");
  });

  it("cache folder: NP_CACHE_DIR, else $XDG_CACHE_HOME/np/artifacts (absolute only), else ~/.cache/np/artifacts", () => {
    expect(defaultCacheDir({ NP_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe("/c");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" })).toBe(path.join("/x", "np", "artifacts"));
    expect(defaultCacheDir({ XDG_CACHE_HOME: "rel", HOME: "/h" })).toBe(
      path.join("/h", ".cache", "np", "artifacts"),
    );
  });
});

import { describe, expect, it } from "vitest";
import { checksumMismatch, expectedSha256, parseSha256Sums } from "../../src/artifacts/checksums.js";
import { releaseFiles } from "../../src/artifacts/layout.js";
import { OperationError } from "../../src/errors.js";

const A = "87a881f7ad6ef9e26609cb4d00065f1af3dcb8bdadc2898554c9a0bb286f434c";
const B = "D8A8329D2264A05A73D97A725EBCCED1C455D72B1F09B25EA45A74A5823D86BD";

describe("SHA256SUMS parsing", () => {
  it("reads `<sha256>  <file>` lines, binary-mode `*file`, CRLF and blank lines; hashes come out lowercase", () => {
    const sums = parseSha256Sums(
      `${A}  nomad_1.10.5_linux_amd64.zip\r\n\n${B} *nomad_1.10.5_linux_arm64.zip\n`,
      "S",
    );
    expect([...sums]).toEqual([
      ["nomad_1.10.5_linux_amd64.zip", A],
      ["nomad_1.10.5_linux_arm64.zip", B.toLowerCase()],
    ]);
  });

  it("refuses a line that is not a checksum line, naming the file and line number", () => {
    expect(() => parseSha256Sums(`${A}  a.zip\nnot a line\n`, "nomad_1.10.5_SHA256SUMS")).toThrow(
      /nomad_1\.10\.5_SHA256SUMS:2: not a "<sha256> {2}<file>" line: not a line/,
    );
    expect(() => parseSha256Sums(`${A.slice(1)}  a.zip\n`, "S")).toThrow(OperationError);
  });

  it("finds the archive's line, and says so when the release has no line for this platform", () => {
    const files = releaseFiles({ product: "nomad", version: "1.10.5", arch: "arm64" });
    expect(
      expectedSha256(files, `${A}  nomad_1.10.5_linux_amd64.zip\n${B}  nomad_1.10.5_linux_arm64.zip\n`),
    ).toBe(B.toLowerCase());
    expect(() => expectedSha256(files, `${A}  nomad_1.10.5_linux_amd64.zip\n`)).toThrow(
      "nomad_1.10.5_SHA256SUMS has no line for nomad_1.10.5_linux_arm64.zip",
    );
  });

  it("reads goreleaser's traefik checksums.txt (several OSes in one file)", () => {
    const files = releaseFiles({ product: "traefik", version: "3.7.9", arch: "amd64" });
    const text = `${B}  traefik_v3.7.9_darwin_amd64.tar.gz\n${A}  traefik_v3.7.9_linux_amd64.tar.gz\n`;
    expect(expectedSha256(files, text)).toBe(A);
  });

  it("reads OpenObserve's .sha256sum, which holds only the hash (or hash and file name)", () => {
    const files = releaseFiles({ product: "openobserve", version: "0.14.7", arch: "amd64" });
    expect(expectedSha256(files, `${A}\n`)).toBe(A);
    expect(expectedSha256(files, `${A}  openobserve-v0.14.7-linux-amd64.tar.gz\n`)).toBe(A);
    expect(() => expectedSha256(files, `${A}  openobserve-v0.14.7-linux-arm64.tar.gz\n`)).toThrow(
      "openobserve-v0.14.7-linux-amd64.tar.gz.sha256sum does not hold a sha256 hash",
    );
    expect(() => expectedSha256(files, "<html>Not Found</html>")).toThrow(OperationError);
  });

  it("a mismatch names the file, the hash found and the hash the checksums file says", () => {
    const files = releaseFiles({ product: "nomad", version: "1.10.5", arch: "amd64" });
    const err = checksumMismatch(files, A, B.toLowerCase());
    expect(err).toBeInstanceOf(OperationError);
    expect(err.message).toBe(
      `nomad_1.10.5_linux_amd64.zip: sha256 is ${A} but nomad_1.10.5_SHA256SUMS says ${B.toLowerCase()}; refusing to install it`,
    );
  });
});

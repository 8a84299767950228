import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SHA_CACHE, STATE_SCRIPT, stateArgs } from "../../src/cluster/state-script.js";

/** The state script run here by `shell`, with np's cache file moved to `cache` and plain section markers. */
function runState(shell: string, cache: string, paths: string[], users: string[] = []): string[] {
  // What FACTS_SCRIPT defines for the script appended to it: nl, section, and no units asked about.
  const script = `nl='\n'; np_units=; np_shown=\nsection() { echo "== $1"; }\n${STATE_SCRIPT.replaceAll(SHA_CACHE, cache)}`;
  const r = spawnSync(shell, ["-c", script, "state", ...stateArgs({ paths, users })], {
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  // Lines come in the order the script finds answers (missing paths, then stat's, then hashed files): sorted.
  return r.stdout
    .split("\n")
    .filter((l) => /^(file|dir|none)\|/.test(l) || (users.length > 0 && /^[a-z]+\|(yes|no)\|/.test(l)))
    .sort();
}

describe("the state script, run by a real shell", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "np-state-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const binary = path.join(dir, "consul");
  const config = path.join(dir, "consul.hcl");
  const moved = path.join(dir, "moved");
  writeFileSync(binary, "pretend binary\n");
  writeFileSync(config, 'datacenter = "dc1"\n');
  writeFileSync(moved, "another\n");
  // np's own paths are plain, but the script must not depend on it: a "|", spaces, an empty file.
  const odd = path.join(dir, "a|b c");
  writeFileSync(odd, "");
  mkdirSync(path.join(dir, "d"), { mode: 0o750 });
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const key = (f: string) => execFileSync("stat", ["-c", "%s:%.9Y:%i", f], { encoding: "utf8" }).trim();
  const owner = (f: string, mode: string) =>
    `${mode}|${execFileSync("stat", ["-c", "%U|%G", f], { encoding: "utf8" }).trim()}`;
  const cache = path.join(dir, "sha256-cache");
  // The cache knows the binary (with a sum no file has, to tell where the answer came from) and, under another
  // path, the key of `moved`: a line for another path never answers for this one.
  writeFileSync(
    cache,
    `${key(config)}0 ${"e".repeat(64)} /elsewhere\n${key(binary)} ${"c".repeat(64)} ${binary}\n${key(moved)} ${"d".repeat(64)} /old/path\n`,
  );

  for (const shell of ["sh", "bash"]) {
    it(`${shell}: sha256 from np's cache when size, mtime and inode match; hashed otherwise; dirs and missing paths`, () => {
      const lines = runState(shell, cache, [
        binary,
        config,
        moved,
        path.join(dir, "d"),
        path.join(dir, "none"),
        odd,
      ]);
      expect(lines).toEqual(
        [
          `file|${owner(binary, "644")}|${"c".repeat(64)}|1|${binary}`,
          `file|${owner(config, "644")}|${sha('datacenter = "dc1"\n')}|0|${config}`,
          `file|${owner(moved, "644")}|${sha("another\n")}|0|${moved}`,
          `file|${owner(odd, "644")}|${sha("")}|0|${odd}`,
          `dir|${owner(path.join(dir, "d"), "750")}|-|0|${path.join(dir, "d")}`,
          `none|-|-|-|-|0|${path.join(dir, "none")}`,
        ].sort(),
      );
    });

    it(`${shell}: users that exist with their groups, users that do not`, () => {
      const groups = execFileSync("id", ["-nG", "root"], { encoding: "utf8" }).trim().split(" ").join(",");
      expect(runState(shell, cache, [], ["root", "nosuchnpuser"])).toEqual(
        [`root|yes|${groups}`, "nosuchnpuser|no|"].sort(),
      );
    });
  }

  it("works without a cache file at all", () => {
    const lines = runState("sh", path.join(dir, "no-cache"), [binary]);
    expect(lines).toEqual([`file|${owner(binary, "644")}|${sha("pretend binary\n")}|0|${binary}`]);
  });
});

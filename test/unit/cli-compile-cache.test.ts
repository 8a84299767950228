import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileCacheDir } from "../../src/cli/compile-cache.js";
import { runNp } from "../helpers/run-np.js";

const tmp = () => mkdtempSync(path.join(os.tmpdir(), "np-ccache-"));
/** Files Node wrote in a compile cache folder (one subfolder per Node version). */
const cached = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).flatMap((v) => readdirSync(path.join(dir, v))) : [];

describe("Node's compile cache of np lives in the user's own cache folder, never in the shared /tmp", () => {
  it("chooses $NODE_COMPILE_CACHE, else $XDG_CACHE_HOME/np, else ~/.cache/np", () => {
    expect(compileCacheDir({ NODE_COMPILE_CACHE: "/c" })).toBe("/c");
    expect(compileCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/np/node-compile-cache");
    expect(compileCacheDir({ XDG_CACHE_HOME: "relative" })).toBe(
      path.join(os.homedir(), ".cache", "np", "node-compile-cache"),
    );
  });

  it("the built np writes its compiled code under $HOME/.cache/np (or where the user says)", () => {
    const home = tmp();
    const r = runNp(["--version"], {
      env: { HOME: home, XDG_CACHE_HOME: undefined, NODE_COMPILE_CACHE: undefined },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(cached(path.join(home, ".cache", "np", "node-compile-cache")).length).toBeGreaterThan(0);
    const own = tmp();
    expect(runNp(["--version"], { env: { HOME: home, NODE_COMPILE_CACHE: own } }).code).toBe(0);
    expect(cached(own).length).toBeGreaterThan(0);
  });
});

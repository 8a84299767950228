#!/usr/bin/env node
/**
 * np's start-up benchmark: printed, never gating. Times the built np (`npm run build` first) whole-process, as a
 * user's shell starts it, against a bare `node -e 0` on the same machine:
 *
 *   np --version · np --help · np validate -i inventory.example.yaml
 *
 * Method: hyperfine (https://github.com/sharkdp/hyperfine; `apt-get install -y hyperfine`) with 3 warm-up runs
 * (they also fill Node's compile cache, as any earlier start of np does) and 20 measured runs per command, no
 * shell in between (-N); the mean, its standard deviation and the range are printed. Without hyperfine the same
 * is measured here with spawnSync (median of 20 after 3 warm-ups). Also printed: how many files each command loads.
 * Target: --version and --help under 150 ms. Usage: npm run bench:startup [-- --runs N]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const np = path.join(root, "dist", "cli", "main.js");
const hook = pathToFileURL(path.join(root, "test", "helpers", "record-modules.mjs")).href;
const runsFlag = process.argv.indexOf("--runs");
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 20;
const WARMUP = 3;

const cases = [
  { name: "node -e 0 (bare Node)", args: ["-e", "0"] },
  { name: "np --version", args: [np, "--version"] },
  { name: "np --help", args: [np, "--help"] },
  { name: "np validate -i inventory.example.yaml", args: [np, "validate", "-i", "inventory.example.yaml"] },
];

const quote = (s) => (/^[\w./=-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);
const hasHyperfine = spawnSync("hyperfine", ["--version"]).status === 0;

/** Times one command: { mean, sd, min, max } in ms. */
function measure(args) {
  if (hasHyperfine) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "np-bench-"));
    try {
      const json = path.join(dir, "out.json");
      const command = [process.execPath, ...args].map(quote).join(" ");
      const r = spawnSync(
        "hyperfine",
        ["-N", "-w", String(WARMUP), "-r", String(RUNS), "--export-json", json, "--style", "none", command],
        { cwd: root, env: { ...process.env, NO_COLOR: "1" }, encoding: "utf8" },
      );
      if (r.status !== 0) throw new Error(`hyperfine failed: ${r.stderr}`);
      const [res] = JSON.parse(readFileSync(json, "utf8")).results;
      return { mean: res.mean * 1000, sd: res.stddev * 1000, min: res.min * 1000, max: res.max * 1000 };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const times = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const started = process.hrtime.bigint();
    spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, NO_COLOR: "1" } });
    if (i >= WARMUP) times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const mean = times[Math.floor(times.length / 2)];
  return { mean, sd: NaN, min: times[0], max: times.at(-1) };
}

/** How many files (not node: built-ins) the command loads, recorded by the tests' module hook. */
function filesLoaded(args) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "np-bench-"));
  try {
    const record = path.join(dir, "modules.txt");
    spawnSync(process.execPath, ["--import", hook, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", NP_RECORD_MODULES: record },
    });
    return readFileSync(record, "utf8")
      .split("\n")
      .filter((u) => u.startsWith("file:") && u !== hook).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (x) => `${x.toFixed(1)} ms`;
console.log(
  `np start-up, whole process: ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}, Node ${process.version}`,
);
console.log(
  hasHyperfine
    ? `method: hyperfine -N -w ${WARMUP} -r ${RUNS} (mean ± σ, min … max)`
    : `method: spawnSync, median of ${RUNS} after ${WARMUP} warm-ups (install hyperfine for mean ± σ)`,
);
let bare;
for (const c of cases) {
  const t = measure(c.args);
  bare ??= t.mean;
  const files = c.args[0] === np ? `${filesLoaded(c.args)} files loaded` : "";
  const ratio = c.args[0] === np ? `${(t.mean / bare).toFixed(1)}x bare Node` : "";
  const sd = Number.isNaN(t.sd) ? "" : ` ± ${ms(t.sd)}`;
  console.log(
    `${c.name.padEnd(40)} ${(ms(t.mean) + sd).padEnd(20)} ${`(${ms(t.min)} … ${ms(t.max)})`.padEnd(22)} ${ratio.padEnd(16)} ${files}`,
  );
}
console.log("target: np --version and np --help under 150 ms (printed, never gating)");

#!/usr/bin/env node
/**
 * np's own overhead in the app commands: printed, never gating. Runs np's deploy, status and logs code in this
 * process against the Nomad TEST DOUBLE (1 server + 2 clients on loopback, with the real Consul 1.8.7: see
 * test/tools/fetch-consul.sh), over direct connections instead of the CLI's SSH tunnels. Usage:
 * node bench/deploy.mjs (needs root, as the double's exec driver does).
 *
 * - deploy: from the start (np.yaml parsed, job built) to "healthy" (the rollout followed to its end), minus
 *   what the double itself took (the successful deployment's ModifyTime minus the job's SubmitTime): what np adds
 *   (plan, checks, register, noticing the end through blocking queries). Target under 300 ms.
 * - np status with 20 apps (every app's job, allocations and deployment). Target under 500 ms.
 * - np logs: time to the first line of 3 instances' logs. Target under 300 ms.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(path.join(os.tmpdir(), "np-deploy-bench-"));

// np's modules are TypeScript: bundle this entry (np's code and the test harness) into one module, then run it.
const entry = `
import { deployApp } from "./src/deploy/deploy.ts";
import { showLogs } from "./src/deploy/logs.ts";
import { readApps } from "./src/deploy/status-apps.ts";
import { appAndJob, appYaml, RecordingOutput, startDoubleCluster } from "./test/contract/deploy-harness.ts";
export { deployApp, showLogs, readApps, appAndJob, appYaml, RecordingOutput, startDoubleCluster };
`;
// Inside the package, so the bundle finds np's dependencies in node_modules.
const outfile = path.join(root, "node_modules", ".np-bench", `deploy-entry-${process.pid}.mjs`);
await build({
  stdin: { contents: entry, resolveDir: root, loader: "ts" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  outfile,
  external: [
    "ssh2",
    "undici",
    "yaml",
    "zod",
    "listr2",
    "handlebars",
    "openpgp",
    "zx",
    "fflate",
    "bcryptjs",
    "commander",
  ],
  logLevel: "warning",
});
const np = await import(pathToFileURL(outfile).href);

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const signal = new AbortController().signal;
const c = await np.startDoubleCluster("127.0.93", path.join(root, "test", "doubles", "nomad-double.mjs"));
try {
  const deployOverhead = [];
  for (let i = 0; i < 5; i++) {
    const out = new np.RecordingOutput();
    const t0 = process.hrtime.bigint();
    const { app, job } = np.appAndJob(np.appYaml("bench", "", 1), { VERSION: `v${i}` });
    await np.deployApp(
      { nomad: c.nomad, edge: async () => null },
      app,
      job,
      { dryRun: false, detach: false },
      { out, signal },
    );
    const total = ms(t0);
    const d = (await c.nomad.latestDeployment("bench")).body;
    const submitted = (await c.nomad.job("bench")).body.SubmitTime;
    const doubleMs = (d.ModifyTime - submitted) / 1e6;
    deployOverhead.push(total - doubleMs);
    console.log(
      `deploy ${i}: ${total.toFixed(0)} ms in all, the double's deployment ${doubleMs.toFixed(0)} ms, np ${(total - doubleMs).toFixed(0)} ms`,
    );
  }
  console.log(`np's overhead per deploy: median ${median(deployOverhead).toFixed(0)} ms (target < 300 ms)`);

  for (let i = 0; i < 19; i++) {
    const { job } = np.appAndJob(np.appYaml(`app${String(i).padStart(2, "0")}`, "", 1), { VERSION: "x" });
    await c.nomad.register({ Job: JSON.parse(JSON.stringify(job)), EnforceIndex: false, JobModifyIndex: 0 });
  }
  const statusMs = [];
  let rows = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    rows = await np.readApps(c.nomad);
    statusMs.push(ms(t0));
  }
  console.log(
    `np status with ${rows.length} apps: median ${median(statusMs).toFixed(0)} ms (target < 500 ms)`,
  );

  await c.nomad.scale("bench", "bench", 3, "bench");
  for (let i = 0; i < 200; i++) {
    const running = (await c.nomad.jobAllocations("bench")).body.filter(
      (a) => a.ClientStatus === "running" && a.DesiredStatus === "run",
    );
    if (running.length === 3) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const firstLine = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    let first = 0;
    await np.showLogs(
      { nomad: c.nomad, logSearch: async () => null },
      "bench",
      { follow: false, stderr: false, lines: 50 },
      {
        print: () => {
          first ||= ms(t0);
        },
        signal,
      },
    );
    firstLine.push(first);
  }
  console.log(
    `np logs, first line of 3 instances: median ${median(firstLine).toFixed(0)} ms (target < 300 ms)`,
  );
} finally {
  await c.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(outfile, { force: true });
}

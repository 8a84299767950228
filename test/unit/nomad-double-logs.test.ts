// Unit tests of the Nomad double's task log rotation (client/logmon/logging/rotator.go behaviour) and job model.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JS module of the double (no types)
import { canonicalizeJob, multiError, validateJob } from "../doubles/nomad/jobs.mjs";
// @ts-expect-error plain JS module of the double (no types)
import { FileRotator } from "../doubles/nomad/logs.mjs";

const dir = mkdtempSync(path.join(tmpdir(), "np-nomad-logs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the Nomad double's log rotator", () => {
  it("starts index n+1 past MaxFileSizeMB and deletes the oldest beyond MaxFiles", () => {
    const r = new FileRotator(dir, "web", "stdout", 2, 1);
    const mb = 1024 * 1024;
    r.write(Buffer.alloc(mb, "a"));
    r.write(Buffer.alloc(mb, "b"));
    r.write(Buffer.from("tail\n"));
    r.close();
    expect(readdirSync(dir).sort()).toEqual(["web.stdout.1", "web.stdout.2"]);
    expect(statSync(path.join(dir, "web.stdout.1")).size).toBe(mb);
    expect(readFileSync(path.join(dir, "web.stdout.2"), "utf8")).toBe("tail\n");
    // a new rotator (task restart) appends to the newest index
    const again = new FileRotator(dir, "web", "stdout", 2, 1);
    again.write(Buffer.from("more\n"));
    again.close();
    expect(readFileSync(path.join(dir, "web.stdout.2"), "utf8")).toBe("tail\nmore\n");
  });
});

describe("the Nomad double's log rotator keeps lines whole, like Nomad's", () => {
  it("rotates before a line that would not fit, so no line is split between two files", () => {
    const d = mkdtempSync(path.join(tmpdir(), "np-nomad-lines-"));
    const r = new FileRotator(d, "t", "stdout", 10, 1);
    const lines = Array.from(
      { length: 6000 },
      (_, i) => `line ${String(i).padStart(6, "0")} ${"x".repeat(180)}\n`,
    );
    for (const l of lines) r.write(Buffer.from(l));
    r.close();
    const files = readdirSync(d).sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2]));
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const text = readFileSync(path.join(d, f), "utf8");
      expect(text.endsWith("\n"), f).toBe(true);
      expect(statSync(path.join(d, f)).size).toBeLessThanOrEqual(1024 * 1024);
    }
    expect(files.map((f) => readFileSync(path.join(d, f), "utf8")).join("")).toBe(lines.join(""));
    rmSync(d, { recursive: true, force: true });
  });
});

describe("the Nomad double's job model", () => {
  it("canonicalizes a minimal job with Nomad's defaults", () => {
    const job = canonicalizeJob({
      ID: "x",
      TaskGroups: [{ Name: "g", Tasks: [{ Name: "t", Driver: "raw_exec" }] }],
    });
    expect([job.Name, job.Type, job.Priority, job.Datacenters, job.Namespace]).toEqual([
      "x",
      "service",
      50,
      ["*"],
      "default",
    ]);
    const tg = job.TaskGroups[0];
    expect(tg.RestartPolicy).toMatchObject({ Attempts: 2, Interval: 1800e9, Delay: 15e9, Mode: "fail" });
    expect(tg.Update).toMatchObject({
      MaxParallel: 1,
      HealthCheck: "checks",
      MinHealthyTime: 10e9,
      HealthyDeadline: 300e9,
    });
    expect(tg.Tasks[0].Resources).toMatchObject({ CPU: 100, MemoryMB: 300 });
    expect(tg.Tasks[0].LogConfig).toMatchObject({ MaxFiles: 10, MaxFileSizeMB: 10 });
  });
  it("validates with go-multierror's text", () => {
    const job = canonicalizeJob({ ID: "x", TaskGroups: [] });
    expect(validateJob(job)).toBe("1 error occurred:\n\t* Missing job task groups\n\n");
    expect(multiError(["a", "b"])).toBe("2 errors occurred:\n\t* a\n\t* b\n\n");
  });
});

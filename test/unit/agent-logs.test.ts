// Unit tests of np-agent's log reading: line splitting (caps, UTF-8, junk) and tailing Nomad's numbered log files
// through appends, partial lines, rotation, deletion, truncation and replacement, on real files in a temp dir.
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { Problems } from "../../agent/src/problems.js";
import { discoverLogGroups, parseLogFileName } from "../../agent/src/ship/alloc-logs.js";
import { decodeLine, MAX_LINE_BYTES, splitLines, TRUNCATION_MARKER } from "../../agent/src/ship/lines.js";
import { AllocLogReader } from "../../agent/src/ship/log-reader.js";
import { type TailChunk, tailGroup } from "../../agent/src/ship/log-tailer.js";
import { Pipeline } from "../../agent/src/ship/pipeline.js";
import type { FileCursor } from "../../agent/src/ship/state.js";

const tmp = mkdtempSync(path.join(tmpdir(), "np-agent-logs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("splitLines", () => {
  it("emits complete lines and leaves a partial one unconsumed", () => {
    const r = splitLines(Buffer.from("a\nbb\r\nccc"), false, false);
    expect(r.lines.map((l) => l.text)).toEqual(["a", "bb"]);
    expect(r.consumed).toBe(6);
    expect(r.skipping).toBe(false);
  });

  it("takes the last line without a newline when the file is final", () => {
    const r = splitLines(Buffer.from("a\nlast"), false, true);
    expect(r.lines.map((l) => l.text)).toEqual(["a", "last"]);
    expect(r.consumed).toBe(6);
  });

  it("cuts an over-long line at the cap with a marker and skips the rest of it across chunks", () => {
    const head = splitLines(Buffer.alloc(100, "x"), false, false, 10);
    expect(head.lines).toEqual([{ text: `xxxxxxxxxx${TRUNCATION_MARKER}`, truncated: true }]);
    expect([head.consumed, head.skipping]).toEqual([100, true]);
    const middle = splitLines(Buffer.alloc(100, "x"), true, false, 10);
    expect([middle.lines, middle.consumed, middle.skipping]).toEqual([[], 100, true]);
    const end = splitLines(Buffer.from("xxx\nnext\n"), true, false, 10);
    expect(end.lines.map((l) => l.text)).toEqual(["next"]);
    expect(end.skipping).toBe(false);
  });

  it("turns binary junk into valid UTF-8 and never cuts a character in half", () => {
    const junk = splitLines(Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x0a]), false, false);
    expect(junk.lines[0]?.text).toBe("\uFFFD\uFFFD\u0000\uFFFD");
    expect(Buffer.from(junk.lines[0]?.text ?? "", "utf8").toString("utf8")).toBe(junk.lines[0]?.text);
    // "é" is 2 bytes: a cap of 3 bytes after "ab" must not keep half of it.
    const cut = decodeLine(Buffer.from("abé-z"), 0, 6, 3);
    expect(cut.text).toBe(`ab${TRUNCATION_MARKER}`);
  });
});

describe("discoverLogGroups", () => {
  it("groups <task>.<stdout|stderr>.<n> per allocation and ignores fifos", async () => {
    expect(parseLogFileName("web.api.stdout.12")).toEqual({ task: "web.api", stream: "stdout", index: 12 });
    expect(parseLogFileName(".web.stdout.fifo")).toBeNull();
    expect(parseLogFileName("web.stdout")).toBeNull();
    const dir = path.join(tmp, "discover");
    const logs = path.join(dir, "5fc98185-17ff-26bc-a802-0c74fa471c99", "alloc", "logs");
    mkdirSync(logs, { recursive: true });
    for (const f of ["web.stdout.0", "web.stdout.1", "web.stderr.0", ".web.stdout.fifo"])
      writeFileSync(path.join(logs, f), "");
    mkdirSync(path.join(dir, "not-an-alloc"));
    const found = await discoverLogGroups(dir);
    expect(found.groups.map((g) => [g.key, [...g.files.keys()].sort()])).toEqual([
      ["5fc98185-17ff-26bc-a802-0c74fa471c99/web.stderr", [0]],
      ["5fc98185-17ff-26bc-a802-0c74fa471c99/web.stdout", [0, 1]],
    ]);
    expect(found.errors).toEqual([]);
    expect((await discoverLogGroups(path.join(tmp, "absent"))).groups).toEqual([]);
  });
});

describe("tailGroup", () => {
  const alloc = "0b8a7b6c-1d2e-4f30-8a9b-0c1d2e3f4a5b";
  let logs: string;
  let cursor: FileCursor | undefined;
  let n = 0;

  beforeEach(() => {
    logs = path.join(tmp, `tail-${n++}`, alloc, "alloc", "logs");
    mkdirSync(logs, { recursive: true });
    cursor = undefined;
  });

  const file = (i: number) => path.join(logs, `web.stdout.${i}`);

  /** One read pass, as the agent does each interval; returns the lines and warnings, keeps the cursor. */
  async function pass(budgetBytes = 1 << 30, chunkBytes?: number) {
    const found = await discoverLogGroups(path.dirname(path.dirname(path.dirname(logs))));
    const g = found.groups.find((x) => x.stream === "stdout");
    if (!g) return { lines: [] as string[], warnings: [] as string[] };
    const lines: string[] = [];
    const out = await tailGroup(
      g,
      cursor,
      async (c: TailChunk) => {
        lines.push(...c.lines.map((l) => l.text));
      },
      { budgetBytes, ...(chunkBytes ? { chunkBytes } : {}) },
    );
    cursor = out.cursor;
    return { lines, warnings: out.warnings };
  }

  it("reads appended lines once, waiting for a partial line to be completed", async () => {
    writeFileSync(file(0), "one\ntw");
    expect((await pass()).lines).toEqual(["one"]);
    appendFileSync(file(0), "o\nthree\n");
    expect((await pass()).lines).toEqual(["two", "three"]);
    expect((await pass()).lines).toEqual([]);
    expect(cursor).toMatchObject({ index: 0, offset: 14, skipping: false });
  });

  it("follows Nomad's rotation: finishes <n> (last line without newline included), then reads <n+1>", async () => {
    writeFileSync(file(0), "a\nb\n");
    expect((await pass()).lines).toEqual(["a", "b"]);
    appendFileSync(file(0), "c\nno-newline");
    writeFileSync(file(1), "d\n");
    expect((await pass()).lines).toEqual(["c", "no-newline", "d"]);
    // Nomad deletes the oldest file: nothing changes for the reader.
    unlinkSync(file(0));
    writeFileSync(file(2), "e\n");
    appendFileSync(file(1), "d2\n");
    expect((await pass()).lines).toEqual(["d2", "e"]);
    expect(cursor?.index).toBe(2);
  });

  it("starts a new allocation's stream at its oldest file", async () => {
    writeFileSync(file(3), "old\n");
    writeFileSync(file(4), "new\n");
    expect((await pass()).lines).toEqual(["old", "new"]);
  });

  it("says what was lost when files were deleted before being read", async () => {
    writeFileSync(file(0), "a\n");
    await pass();
    appendFileSync(file(0), "unread\n");
    unlinkSync(file(0));
    writeFileSync(file(2), "c\n");
    const r = await pass();
    expect(r.lines).toEqual(["c"]);
    expect(r.warnings.join("\n")).toMatch(
      /web\.stdout\.0 was deleted before it was read: its lines after byte 2 are lost/,
    );
  });

  it("reads a truncated file again from the start, and a replaced one from the start", async () => {
    writeFileSync(file(0), "aaaa\nbbbb\n");
    await pass();
    truncateSync(file(0), 0);
    appendFileSync(file(0), "new\n");
    const t = await pass();
    expect(t.lines).toEqual(["new"]);
    expect(t.warnings[0]).toMatch(/truncated \(4 < 10 bytes\)/);
    unlinkSync(file(0));
    writeFileSync(file(0), "replaced\n");
    const r = await pass();
    expect(r.lines).toEqual(["replaced"]);
    expect(r.warnings[0]).toMatch(/replaced by a new file/);
  });

  it("survives a 10 MB line and binary junk: head shipped with a marker, the rest skipped, next lines read", async () => {
    writeFileSync(file(0), Buffer.concat([Buffer.alloc(10 * 1024 * 1024, "y"), Buffer.from("\n")]));
    appendFileSync(file(0), Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0x0a]));
    appendFileSync(file(0), "after\n");
    const r = await pass();
    expect(r.lines).toHaveLength(3);
    expect(r.lines[0]).toBe("y".repeat(MAX_LINE_BYTES) + TRUNCATION_MARKER);
    expect(r.lines[1]).toBe("\uFFFD\uFFFD\uFFFD\uFFFD");
    expect(r.lines[2]).toBe("after");
  });

  it("stops at its read budget and carries on from the cursor: every line exactly once", async () => {
    const all = Array.from({ length: 20_000 }, (_, i) => `line-${i}`);
    writeFileSync(file(0), `${all.join("\n")}\n`);
    const first = await pass(1, 32 * 1024);
    expect(first.lines.length).toBeGreaterThan(1000);
    expect(first.lines.length).toBeLessThan(all.length);
    const seen = [...first.lines];
    for (let i = 0; i < 20 && seen.length < all.length; i++) seen.push(...(await pass(1, 32 * 1024)).lines);
    expect(seen).toEqual(all);
  });
});

describe("AllocLogReader", () => {
  const alloc = "0b8a7b6c-1d2e-4f30-8a9b-0c1d2e3f4a5b";

  it("spools lines with alloc, job, group, task, stream and node; forgets cursors of collected allocations only", async () => {
    const root = mkdtempSync(path.join(tmp, "reader-"));
    const allocDir = path.join(root, "alloc");
    const logs = path.join(allocDir, alloc, "alloc", "logs");
    mkdirSync(logs, { recursive: true });
    writeFileSync(path.join(logs, "api.stderr.0"), "boom\n");
    const problems = new Problems(() => {});
    const p = new Pipeline(path.join(root, "state"), 1 << 20, problems);
    await p.open();
    const meta = new Map([[alloc, { job: "shop", group: "backend" }]]);
    const reader = new AllocLogReader(allocDir, "node1", "nomad_logs", p, meta, problems);
    await reader.readOnce();
    const e = p.spool.oldest();
    expect(e?.records).toBe(1);
    expect(JSON.parse(await p.spool.readBody(e ?? ({} as never)))[0]).toMatchObject({
      node: "node1",
      alloc_id: alloc,
      job: "shop",
      group: "backend",
      task: "api",
      stream: "stderr",
      message: "boom",
    });
    const key = `${alloc}/api.stderr`;
    expect(p.state.files[key]?.offset).toBe(5);
    // The alloc dir unreadable (here: not a directory): cursors are kept, the problem is reported.
    rmSync(allocDir, { recursive: true });
    writeFileSync(allocDir, "");
    await reader.readOnce();
    expect(p.state.files[key]?.offset).toBe(5);
    expect(problems.list().some((x) => x.id === `file:${allocDir}` && x.level === "error")).toBe(true);
    // Nomad collected the allocation: its directory and its cursor go.
    rmSync(allocDir);
    mkdirSync(allocDir);
    await reader.readOnce();
    expect(p.state.files).toEqual({});
    expect(problems.healthy()).toBe(true);
  });
});

// Unit tests of np-agent's delivery path: offsets persisted atomically, the bounded on-disk spool, the replay of
// deltas after a crash between spooling and saving, and the shipper's retry/backoff and counting.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Problems } from "../../agent/src/problems.js";
import { Backoff } from "../../agent/src/ship/backoff.js";
import { JournalReader } from "../../agent/src/ship/journal-reader.js";
import type { IngestOutcome } from "../../agent/src/ship/openobserve.js";
import { Pipeline } from "../../agent/src/ship/pipeline.js";
import { Shipper } from "../../agent/src/ship/shipper.js";
import { Spool } from "../../agent/src/ship/spool.js";
import { applyDelta, emptyState, StateStore } from "../../agent/src/ship/state.js";

const tmp = mkdtempSync(path.join(tmpdir(), "np-agent-spool-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = () => mkdtempSync(path.join(tmp, `t${n++}-`));
const quiet = () => new Problems(() => {});
const cursor = (offset: number) => ({ index: 0, inode: 7, offset, skipping: false });
const TARGET = { url: "http://127.0.0.1:1", org: "default", user: "u", password: "p" };

async function until(what: string, ok: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("offsets", () => {
  it("are saved and loaded whole; an unreadable file is moved aside with a warning", async () => {
    const d = dir();
    const store = new StateStore(d);
    expect((await store.load()).state).toEqual(emptyState());
    const s = emptyState();
    applyDelta(s, { files: { "a/web.stdout": cursor(10) }, journalCursor: "s=1" }, 3);
    await store.save(s);
    expect((await store.load()).state).toEqual(s);
    expect(readdirSync(d).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    applyDelta(s, { files: { "a/web.stdout": null } }, 4);
    expect(s.files).toEqual({});
    writeFileSync(store.file, "{garbage");
    const bad = await store.load();
    expect(bad.state).toEqual(emptyState());
    expect(bad.warning).toMatch(/unreadable .* reading starts over/);
    expect(readdirSync(d).some((f) => f.startsWith("offsets.json.bad-"))).toBe(true);
  });
});

describe("spool", () => {
  it("keeps batches in order across a reopen, with their bodies and deltas", async () => {
    const d = dir();
    const s = new Spool(d, 1 << 20);
    await s.open();
    await s.append("nomad_logs", '[{"m":1}]', 1, { files: { k: cursor(5) } });
    await s.append("np_journal", '[{"m":2},{"m":3}]', 2, { journalCursor: "c" });
    const again = new Spool(d, 1 << 20);
    const entries = await again.open();
    expect(entries.map((e) => [e.seq, e.stream, e.records])).toEqual([
      [1, "nomad_logs", 1],
      [2, "np_journal", 2],
    ]);
    expect(await again.readBody(entries[1])).toBe('[{"m":2},{"m":3}]');
    expect(await again.readDelta(entries[0])).toEqual({ files: { k: cursor(5) } });
    expect(again.size()).toMatchObject({ batches: 2, records: 3 });
  });

  it("drops the oldest batches (never the one in flight) when over its bound, and counts them", async () => {
    const body = `[${'"x",'.repeat(250)}"x"]`; // ~1 KiB
    const s = new Spool(dir(), 4 * 1024);
    await s.open();
    for (let i = 0; i < 3; i++) await s.append("s", body, 251, {});
    s.inFlight = s.oldest() ?? null;
    expect(await s.enforceBound()).toEqual({ batches: 0, records: 0 });
    for (let i = 0; i < 3; i++) await s.append("s", body, 251, {});
    const dropped = await s.enforceBound();
    expect(dropped.batches).toBe(2);
    expect(dropped.records).toBe(502);
    expect(s.size().bytes).toBeLessThanOrEqual(4 * 1024);
    expect(s.oldest()?.seq).toBe(1); // the batch in flight stayed
  });
});

describe("pipeline", () => {
  it("resumes after the last spooled record when the agent died between spooling and saving offsets", async () => {
    const d = dir();
    const p = new Pipeline(d, 1 << 20, quiet());
    await p.open();
    await p.commit("nomad_logs", ['{"m":"a"}'], { files: { k: cursor(2) } });
    expect(p.state.files.k?.offset).toBe(2);
    // The crash: a batch made it to the spool, the offsets file did not follow.
    await p.spool.append("nomad_logs", '[{"m":"b"}]', 1, { files: { k: cursor(4) }, journalCursor: "j9" });
    expect(JSON.parse(readFileSync(path.join(d, "offsets.json"), "utf8")).files.k.offset).toBe(2);
    const q = new Pipeline(d, 1 << 20, quiet());
    await q.open();
    expect(q.state.files.k?.offset).toBe(4);
    expect(q.state.journalCursor).toBe("j9");
    expect(q.state.seq).toBe(2);
    await q.commit("nomad_logs", ['{"m":"c"}'], {});
    expect(q.spool.size().batches).toBe(3);
    expect(q.spool.oldest()?.seq).toBe(1);
  });

  it("moves cursors without spooling when a pass read no records", async () => {
    const p = new Pipeline(dir(), 1 << 20, quiet());
    await p.open();
    await p.commit("s", [], { files: { k: cursor(9) } });
    expect(p.spool.size().batches).toBe(0);
    expect(p.state.files.k?.offset).toBe(9);
  });

  it("cuts batches at the record bound", async () => {
    const p = new Pipeline(dir(), 64 << 20, quiet());
    await p.open();
    const b = p.batcher("s");
    for (let i = 0; i < 4500; i++) await b.add([{ i }], { files: { k: cursor(i) } });
    await b.flush();
    expect(p.spool.size()).toMatchObject({ batches: 3, records: 4500 });
    expect(p.state.files.k?.offset).toBe(4499);
  });
});

describe("shipper", () => {
  it("sends oldest first, retries the same batch with backoff until accepted, then clears the problem", async () => {
    const spool = new Spool(dir(), 1 << 20);
    await spool.open();
    await spool.append("a", '[{"n":1}]', 1, {});
    await spool.append("b", '[{"n":2},{"n":3}]', 2, {});
    const sent: string[] = [];
    let failures = 1;
    const problems = quiet();
    const shipper = new Shipper(spool, TARGET, problems, async (_t, stream, body): Promise<IngestOutcome> => {
      sent.push(`${stream}:${body}`);
      if (failures-- > 0) return { kind: "retry", reason: "connect ECONNREFUSED" };
      return { kind: "accepted", successful: JSON.parse(body).length, failed: 0, error: null };
    });
    shipper.kick();
    await until("the first failure", () => sent.length === 1);
    await until("a problem", () => problems.list().some((p) => p.id === "openobserve"));
    expect(problems.healthy()).toBe(false);
    expect(shipper.status().lastError).toMatch(/ECONNREFUSED/);
    await until("the spool drained", () => spool.size().batches === 0);
    expect(sent).toEqual(['a:[{"n":1}]', 'a:[{"n":1}]', 'b:[{"n":2},{"n":3}]']);
    expect(shipper.status().shippedRecords).toEqual({ a: 1, b: 2 });
    expect(problems.healthy()).toBe(true);
  });

  it("counts records OpenObserve failed or refused, as warnings", async () => {
    const spool = new Spool(dir(), 1 << 20);
    await spool.open();
    await spool.append("a", "[1,2,3]", 3, {});
    await spool.append("a", "[4]", 1, {});
    const outcomes: IngestOutcome[] = [
      { kind: "accepted", successful: 2, failed: 1, error: "bad field" },
      { kind: "rejected", reason: "HTTP 400: bad json" },
    ];
    const problems = quiet();
    const shipper = new Shipper(spool, TARGET, problems, async () => outcomes.shift() as IngestOutcome);
    shipper.kick();
    await until("the spool drained", () => spool.size().batches === 0);
    expect(shipper.status()).toMatchObject({ shippedRecords: { a: 2 }, rejectedRecords: 2 });
    expect(problems.list().map((p) => [p.id, p.level])).toEqual([["openobserve:rejected", "warning"]]);
    expect(problems.healthy()).toBe(true);
  });

  it("backs off exponentially within ±20%, capped", () => {
    const b = new Backoff(1000, 8000, () => 0.5);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000, 8000, 8000]);
    b.reset();
    expect(new Backoff(1000, 8000, () => 0).next()).toBe(800);
    expect(b.next()).toBe(1000);
  });
});

describe("journal reader", () => {
  it("reports a journalctl it cannot run as a problem and commits nothing", async () => {
    const p = new Pipeline(dir(), 1 << 20, quiet());
    await p.open();
    const problems = quiet();
    const path0 = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await new JournalReader(["consul"], "n", "np_journal", p, problems).readOnce();
    } finally {
      process.env.PATH = path0;
    }
    expect(problems.list().map((x) => [x.id, x.level])).toEqual([["journal", "error"]]);
    expect(problems.list()[0]?.message).toMatch(/cannot read the journal: .*ENOENT/);
    expect(p.spool.size().batches).toBe(0);
    expect(p.state.journalCursor).toBeNull();
  });
});

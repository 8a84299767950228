import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LogFrameDecoder } from "../../src/deploy/log-frames.js";
import { fileEventNote, LineSplitter, linePrefix, tailBytes, tailLines } from "../../src/deploy/log-lines.js";

// The reference's framed body (concatenated frames, a heartbeat, a truncation), as Nomad's client fs API sends it.
const FIXTURE = readFileSync(
  new URL("../fixtures/nomad-fixtures/client-fs-logs.framed.body.txt", import.meta.url),
);
const frame = (o: Record<string, unknown>) => JSON.stringify(o);
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("LogFrameDecoder (Nomad's framed log stream)", () => {
  it("decodes the reference body: data frames with base64 Data, the {} heartbeat, the truncation event", () => {
    const frames = new LogFrameDecoder().push(FIXTURE);
    expect(frames.map((f) => [f.heartbeat, f.offset, f.data?.toString(), f.fileEvent])).toEqual([
      [false, 12, "hello world\n", undefined],
      [true, undefined, undefined, undefined],
      [false, 24, "second line\n", undefined],
      [false, undefined, undefined, "file truncated"],
    ]);
  });

  it("gives the same frames whatever the chunks: cut inside a frame, a string, an escape, byte by byte", () => {
    const body = Buffer.from(
      frame({ Offset: 3, Data: b64("a}{\n"), File: 'alloc/logs/we"b}.stdout.0' }) +
        "{}" +
        frame({ Offset: 9, Data: b64("bé\n") }),
    );
    const whole = new LogFrameDecoder().push(body);
    for (const size of [1, 2, 5, 17]) {
      const d = new LogFrameDecoder();
      const got = [];
      for (let i = 0; i < body.length; i += size) got.push(...d.push(body.subarray(i, i + size)));
      expect(got, `chunks of ${size}`).toEqual(whole);
      expect(d.incomplete).toBe(false);
    }
    expect(whole.map((f) => f.file)).toEqual(['alloc/logs/we"b}.stdout.0', undefined, undefined]);
  });

  it("keeps an unfinished frame for the next chunk and says so at the end", () => {
    const d = new LogFrameDecoder();
    expect(d.push(Buffer.from('{"Offset":1,"Da'))).toEqual([]);
    expect(d.incomplete).toBe(true);
    expect(d.push(Buffer.from(`ta":"${b64("x")}"}`))).toHaveLength(1);
    expect(d.incomplete).toBe(false);
  });

  it("refuses text that is not frames (an error page instead of a stream)", () => {
    expect(() => new LogFrameDecoder().push(Buffer.from("Internal Server Error"))).toThrow(
      /unexpected text between frames/,
    );
  });
});

describe("LineSplitter and prefixes", () => {
  it("joins a line cut between frames and a UTF-8 character cut between frames; drops \\r", () => {
    const s = new LineSplitter();
    const euro = Buffer.from("€");
    expect(
      s.push({ heartbeat: false, data: Buffer.concat([Buffer.from("one\r\ntw"), euro.subarray(0, 1)]) }),
    ).toEqual(["one"]);
    expect(
      s.push({ heartbeat: false, data: Buffer.concat([euro.subarray(1), Buffer.from("o\nthr")]) }),
    ).toEqual(["tw€o"]);
    expect(s.flush()).toBe("thr");
    expect(s.flush()).toBeUndefined();
  });

  it("a truncation ends the line being read and adds a note, then reads on", () => {
    const s = new LineSplitter();
    const frames = new LogFrameDecoder().push(
      Buffer.from(
        frame({ Offset: 9, Data: b64("a\npartial"), File: "alloc/logs/web.stdout.0" }) +
          frame({ File: "alloc/logs/web.stdout.0", FileEvent: "file truncated" }) +
          frame({ Offset: 4, Data: b64("new\n"), File: "alloc/logs/web.stdout.0" }),
      ),
    );
    expect(frames.flatMap((f) => s.push(f))).toEqual([
      "a",
      "partial",
      "[np: web.stdout.0 was truncated; reading it again from its start]",
      "new",
    ]);
    expect(fileEventNote("file deleted", "alloc/logs/web.stderr.3")).toBe("[np: web.stderr.3: file deleted]");
  });

  it("prefixes every line with the short allocation ID and the node", () => {
    expect(linePrefix({ allocId: "5fc98185-17ff-1a30-9b0e-6f7b6a4b8a0c", node: "node4" })).toBe(
      "5fc98185 node4 | ",
    );
  });

  it("keeps the last n lines, dropping the first (cut) one unless the read reached the start", () => {
    expect(tailLines(["cut", "b", "c", "d"], 2, false)).toEqual(["c", "d"]);
    expect(tailLines(["cut", "b"], 5, false)).toEqual(["b"]);
    expect(tailLines(["a", "b"], 5, true)).toEqual(["a", "b"]);
    expect(tailLines(["a"], 0, true)).toEqual([]);
    expect([tailBytes(1), tailBytes(1000), tailBytes(1e7)]).toEqual([16 * 1024, 256_000, 1024 * 1024]);
  });
});

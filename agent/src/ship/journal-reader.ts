import childProcess from "node:child_process";
import type { Problems } from "../problems.js";
import { journalctlArgv, MAX_JSON_LINE, parseJournalLine, stubFromHead } from "./journal.js";
import { type Pipeline, SpoolError } from "./pipeline.js";

/** Runs journalctl once per interval from the saved cursor and spools the entries of the np-managed units. */
export class JournalReader {
  constructor(
    private readonly units: string[],
    private readonly node: string,
    private readonly stream: string,
    private readonly pipeline: Pipeline,
    private readonly problems: Problems,
    private readonly maxEntries = 10_000,
  ) {}

  /** One pass; throws only when spooling fails. */
  async readOnce(): Promise<void> {
    if (this.units.length === 0) return;
    const batch = this.pipeline.batcher(this.stream);
    const cursor = this.pipeline.state.journalCursor;
    const argv = journalctlArgv(this.units, cursor);
    const child = childProcess.spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => {
      if (stderr.length < 4096) stderr += s;
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on("error", (err) => {
        stderr += err.message;
        resolve(null);
      });
      child.on("close", (code) => resolve(code));
    });

    let entries = 0;
    let bad = 0;
    let pending = "";
    let oversize = false;
    let stopped = false;
    const take = async (line: string) => {
      if (line.trim() === "") return;
      try {
        const r = parseJournalLine(line, this.node);
        await batch.add([r], { journalCursor: r.cursor });
        entries++;
      } catch (err) {
        if (err instanceof SpoolError) throw err;
        bad++;
      }
    };
    try {
      for await (const chunk of child.stdout.setEncoding("utf8") as AsyncIterable<string>) {
        let text = chunk;
        for (let nl = text.indexOf("\n"); ; nl = text.indexOf("\n")) {
          if (nl < 0) {
            if (!oversize) pending += text;
            if (pending.length > MAX_JSON_LINE && !oversize) oversize = true;
            break;
          }
          const line = oversize ? pending : pending + text.slice(0, nl);
          text = text.slice(nl + 1);
          pending = "";
          if (oversize) {
            oversize = false;
            const stub = stubFromHead(line, this.node, MAX_JSON_LINE);
            if (stub) await batch.add([stub], { journalCursor: stub.cursor });
            else bad++;
          } else await take(line);
          if (entries >= this.maxEntries) break;
        }
        if (entries >= this.maxEntries) {
          stopped = true; // the rest waits for the next interval
          child.kill("SIGTERM");
          break;
        }
      }
    } finally {
      if (child.exitCode === null && !child.killed) child.kill("SIGTERM");
    }
    const code = await exited;
    await batch.flush();
    this.report(code, stopped, stderr, bad, cursor);
  }

  private report(code: number | null, stopped: boolean, stderr: string, bad: number, cursor: string | null) {
    if (bad > 0)
      this.problems.set("journal:unparsed", "warning", `${bad} journalctl lines were not journal entries`);
    if (code === 0 || stopped) {
      this.problems.clear("journal");
      return;
    }
    const why = stderr.trim().split("\n")[0] || `journalctl exited ${code}`;
    if (cursor && /cursor/i.test(why)) {
      // The saved cursor is unusable (journal files replaced): start again from the current boot.
      this.pipeline.state.journalCursor = null;
      this.problems.set(
        "journal:cursor",
        "warning",
        `${why}: reading the journal again from the current boot`,
      );
      return;
    }
    this.problems.set("journal", "error", `cannot read the journal: ${why}`);
  }
}

// gatherFacts against np's in-process sshd double (test/doubles/sshd-double.ts): a non-root login costs one round
// trip, with sudo's own failure recognised from it.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { gatherFacts } from "../../src/preflight/gather.js";
import { generateEd25519KeyPair } from "../../src/remote/generate-key.js";
import { Session } from "../../src/remote/session.js";
import { type SshdDouble, startSshdDouble } from "../doubles/sshd-double.js";

const recorded = readFileSync(
  new URL("../fixtures/facts/facts-output.sandbox-node.txt", import.meta.url),
  "utf8",
);

let sshd: SshdDouble | undefined;
let session: Session | undefined;
afterEach(async () => {
  await session?.close();
  await sshd?.stop();
});

/** Connects as `user` to a double whose facts command answers with `answer(nonce)`. */
async function gatherAs(
  user: string,
  answer: (nonce: string) => { code: number; stdout: string; stderr: string },
) {
  sshd = await startSshdDouble({
    exec: (command, channel) => {
      const nonce = /sh -s -- ([0-9a-f]{16}) ''$/.exec(command)?.[1];
      if (!nonce) return false;
      const r = answer(nonce);
      channel.stderr.write(r.stderr);
      channel.write(r.stdout);
      channel.exit(r.code);
      channel.end();
      return true;
    },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "np-gather-"));
  const key = path.join(dir, "id_ed25519");
  writeFileSync(key, generateEd25519KeyPair().private, { mode: 0o600 });
  session = await Session.create({ stateDir: path.join(dir, ".np") });
  const conn = await session.connect({
    name: "node2",
    address: "127.0.0.1",
    ssh: { user, port: sshd.port, key, connectTimeoutSec: 5 },
  });
  return gatherFacts(conn);
}

describe("gathering facts as a non-root user: one round trip", () => {
  it("runs the facts script through sudo -n directly, with a fresh nonce", async () => {
    const g = await gatherAs("deploy", (nonce) => ({
      code: 0,
      stdout: recorded.replaceAll("5f0c6e2a9b31d8e7", nonce),
      stderr: "",
    }));
    expect(sshd?.commands).toHaveLength(1);
    expect(sshd?.commands[0]).toMatch(/^sudo -n -- sh -s -- [0-9a-f]{16} ''$/);
    expect(g.facts.cpus).toBe(2);
    expect(g.nonce).toMatch(/^[0-9a-f]{16}$/);
  });

  it("recognises sudo asking for a password in that same round trip", async () => {
    const gathering = gatherAs("pw", () => ({
      code: 1,
      stdout: "",
      stderr: "sudo: a password is required\n",
    }));
    await expect(gathering).rejects.toThrow(/^node2: user pw needs a password for sudo$/);
    expect(sshd?.commands).toHaveLength(1);
  });

  it("recognises a host without sudo", async () => {
    const gathering = gatherAs("deploy", () => ({
      code: 127,
      stdout: "",
      stderr: "sh: 1: sudo: not found\n",
    }));
    await expect(gathering).rejects.toThrow("node2: user deploy is not root and sudo is not installed");
  });

  it("does not take output printed without this run's nonce for the facts", async () => {
    const gathering = gatherAs("root", () => ({ code: 0, stdout: recorded, stderr: "" }));
    await expect(gathering).rejects.toThrow(
      "node2: cannot read the host's facts: the facts script did not finish",
    );
  });
});

import { asRoot } from "../../remote/command.js";
import { sha256, upload } from "../../remote/upload.js";
import type { DesiredFile } from "../../render/index.js";
import type { HostRun, Phase, RunContext } from "../context.js";
import { eachHost } from "../each-host.js";
import { owesReload, owesRestart } from "../restart-marker.js";
import { shortDiff } from "../short-diff.js";

const isUnit = (path: string) => path.startsWith("/etc/systemd/system/");

/** A phase that writes the desired files matching `select`: configs, or systemd units. */
function writeFiles(title: string, select: (f: DesiredFile) => boolean): Phase {
  return {
    title,
    async run(ctx) {
      await eachHost(ctx, ctx.hosts, async (host) => {
        for (const file of host.desired.files.filter(select)) await convergeFile(ctx, host, file);
      });
    },
  };
}

/** "0640 root:consul", for messages. */
const metaOf = (m: { mode?: string; owner?: string; group?: string }) => `${m.mode} ${m.owner}:${m.group}`;

/**
 * Makes one desired file true on the host (content, mode, owner), through the change gate, owing its units a
 * restart or reload when the content changes. Keeps the host's known state current, so a later phase that
 * renders the file again compares with what is there now.
 */
export async function convergeFile(ctx: RunContext, host: HostRun, file: DesiredFile): Promise<void> {
  const have = host.state.paths.get(file.path);
  const exists = have?.kind === "file";
  const sameContent = exists && have.sha256 === sha256(file.content);
  const sameMeta = exists && metaOf(have) === metaOf(file);
  if (sameContent && sameMeta) return;
  const login = host.spec.ssh.user;
  const name = host.spec.name;
  if (sameContent) {
    // Only the mode or owner differs: the services read the file at start, so nothing restarts.
    const detail = `set ${metaOf(file)} (was ${metaOf(have)})`;
    await ctx.gate.wet({ host: name, kind: "file", target: file.path, detail }, async () => {
      const doing = `setting the owner and mode of ${file.path}`;
      await host.conn.run(asRoot(["chown", `${file.owner}:${file.group}`, file.path], login), { doing });
      await host.conn.run(asRoot(["chmod", file.mode, file.path], login), { doing });
      host.state.paths.set(file.path, { ...have, mode: file.mode, owner: file.owner, group: file.group });
    });
    return;
  }
  for (const unit of file.restarts) await owesRestart(ctx, host, unit);
  for (const unit of file.reloads ?? []) await owesReload(ctx, host, unit);
  if (isUnit(file.path)) host.daemonReload = true;
  const diff = ctx.gate.dryRun && !file.secret ? await diffAgainstHost(host, file, exists) : undefined;
  const parts = [exists ? "update" : "create"];
  if (exists && !sameMeta) parts.push(`set ${metaOf(file)} (was ${metaOf(have)})`);
  if (file.secret) parts.push("secret content not shown");
  const detail = parts.length === 1 ? parts[0] : `${parts[0]} (${parts.slice(1).join("; ")})`;
  await ctx.gate.wet(
    { host: name, kind: "file", target: file.path, detail: detail ?? "", diff },
    async () => {
      await upload(host.conn, {
        dest: file.path,
        content: file.content,
        mode: file.mode,
        owner: file.owner,
        group: file.group,
        remoteSha256: exists ? (have.sha256 ?? null) : null,
      });
      host.state.paths.set(file.path, {
        kind: "file",
        mode: file.mode,
        owner: file.owner,
        group: file.group,
        sha256: sha256(file.content),
      });
    },
  );
}

/** Only `np plan` reads the current content, to show what would change. */
async function diffAgainstHost(host: HostRun, file: DesiredFile, exists: boolean): Promise<string> {
  const before = exists
    ? (await host.conn.run(asRoot(["cat", file.path], host.spec.ssh.user), { doing: `reading ${file.path}` }))
        .stdout
    : "";
  return shortDiff(before, file.content);
}

/** Configuration files of every component. */
export const writeConfigs = writeFiles("configuration files", (f) => !isUnit(f.path));

/** systemd unit files. */
export const writeUnits = writeFiles("systemd units", (f) => isUnit(f.path));

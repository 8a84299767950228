import { asRoot } from "../../remote/command.js";
import { sha256, upload } from "../../remote/upload.js";
import type { DesiredFile } from "../../render/index.js";
import type { HostRun, Phase, RunContext } from "../context.js";
import { eachHost } from "../each-host.js";
import { owesRestart } from "../restart-marker.js";
import { shortDiff } from "../short-diff.js";

const isUnit = (path: string) => path.startsWith("/etc/systemd/system/");

/** A phase that writes the desired files matching `select`: configs, or systemd units. */
function writeFiles(title: string, select: (f: DesiredFile) => boolean): Phase {
  return {
    title,
    async run(ctx) {
      await eachHost(ctx, ctx.hosts, async (host) => {
        for (const file of host.files.filter(select)) await converge(ctx, host, file);
      });
    },
  };
}

async function converge(ctx: RunContext, host: HostRun, file: DesiredFile): Promise<void> {
  const have = host.state.paths.get(file.path);
  const want = sha256(file.content);
  const sameContent = have?.kind === "file" && have.sha256 === want;
  const sameMeta =
    have?.kind === "file" &&
    have.mode === file.mode &&
    have.owner === file.owner &&
    have.group === file.group;
  if (sameContent && sameMeta) return;
  for (const service of file.restarts) await owesRestart(ctx, host, service);
  if (isUnit(file.path)) host.daemonReload = true;
  const user = host.spec.ssh.user;
  if (sameContent) {
    const detail = `set ${file.mode} ${file.owner}:${file.group} (was ${have?.mode} ${have?.owner}:${have?.group})`;
    await ctx.gate.wet({ host: host.spec.name, kind: "file", target: file.path, detail }, async () => {
      await host.conn.run(asRoot(["chown", `${file.owner}:${file.group}`, file.path], user));
      await host.conn.run(asRoot(["chmod", file.mode, file.path], user));
    });
    return;
  }
  const diff =
    ctx.gate.dryRun && !file.secret ? await diffAgainstHost(host, file, have?.kind === "file") : undefined;
  const detail =
    have?.kind === "file" ? (file.secret ? "update (secret content not shown)" : "update") : "create";
  await ctx.gate.wet({ host: host.spec.name, kind: "file", target: file.path, detail, diff }, async () => {
    await upload(host.conn, {
      dest: file.path,
      content: file.content,
      mode: file.mode,
      owner: file.owner,
      group: file.group,
      remoteSha256: have?.kind === "file" ? (have.sha256 ?? null) : null,
    });
  });
}

/** Only `np plan` reads the current content, to show what would change. */
async function diffAgainstHost(host: HostRun, file: DesiredFile, exists: boolean): Promise<string> {
  const before = exists ? (await host.conn.run(asRoot(["cat", file.path], host.spec.ssh.user))).stdout : "";
  return shortDiff(before, file.content);
}

/** Consul and Nomad configuration files. */
export const writeConfigs = writeFiles("configuration files", (f) => !isUnit(f.path));

/** systemd unit files. */
export const writeUnits = writeFiles("systemd units", (f) => isUnit(f.path));

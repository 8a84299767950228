import { asRoot } from "../../remote/command.js";
import type { Phase } from "../context.js";
import { eachHost } from "../each-host.js";

/** Creates the consul system user and np's directories with their owner and mode, where they differ. */
export const usersAndDirs: Phase = {
  title: "system users and directories",
  async run(ctx) {
    await eachHost(ctx, ctx.hosts, async (host) => {
      const user = host.spec.ssh.user;
      if (!host.state.consulUser) {
        await ctx.gate.wet(
          { host: host.spec.name, kind: "user", target: "consul", detail: "create system user consul" },
          async () => {
            await host.conn.run(
              asRoot(
                [
                  "useradd",
                  "--system",
                  "--user-group",
                  "--home-dir",
                  "/var/lib/consul",
                  "--no-create-home",
                  "--shell",
                  "/usr/sbin/nologin",
                  "consul",
                ],
                user,
              ),
            );
          },
        );
      }
      for (const dir of host.dirs) {
        const have = host.state.paths.get(dir.path);
        const same =
          have?.kind === "dir" &&
          have.mode === dir.mode &&
          have.owner === dir.owner &&
          have.group === dir.group;
        if (same) continue;
        const detail =
          have?.kind === "dir"
            ? `set ${dir.mode} ${dir.owner}:${dir.group} (was ${have.mode} ${have.owner}:${have.group})`
            : `create ${dir.mode} ${dir.owner}:${dir.group}`;
        await ctx.gate.wet({ host: host.spec.name, kind: "dir", target: dir.path, detail }, async () => {
          await host.conn.run(
            asRoot(["install", "-d", "-m", dir.mode, "-o", dir.owner, "-g", dir.group, dir.path], user),
          );
        });
      }
    });
  },
};

import type { Argv } from "../../remote/command.js";
import { asRoot } from "../../remote/command.js";
import type { SystemUser } from "../../render/types.js";
import type { Phase } from "../context.js";
import { eachHost } from "../each-host.js";

/** useradd for a system account with no login, its own group and the supplementary groups it needs. */
export function useraddArgv(user: SystemUser): Argv {
  const groups = user.groups?.length ? ["--groups", user.groups.join(",")] : [];
  return [
    "useradd",
    "--system",
    "--user-group",
    "--home-dir",
    user.home,
    "--no-create-home",
    "--shell",
    "/usr/sbin/nologin",
    ...groups,
    user.name,
  ];
}

/** Creates the components' system users and np's directories with their owner and mode, where they differ. */
export const usersAndDirs: Phase = {
  title: "system users and directories",
  async run(ctx) {
    await eachHost(ctx, ctx.hosts, async (host) => {
      const login = host.spec.ssh.user;
      const name = host.spec.name;
      for (const user of host.desired.users) {
        const have = host.state.users.get(user.name);
        if (!have) {
          await ctx.gate.wet(
            { host: name, kind: "user", target: user.name, detail: `create system user ${user.name}` },
            () =>
              host.conn
                .run(asRoot(useraddArgv(user), login), { doing: `creating user ${user.name}` })
                .then(() => {}),
          );
          continue;
        }
        const missing = (user.groups ?? []).filter((g) => !have.includes(g));
        if (missing.length === 0) continue;
        await ctx.gate.wet(
          { host: name, kind: "user", target: user.name, detail: `add to groups ${missing.join(", ")}` },
          () =>
            host.conn
              .run(asRoot(["usermod", "--append", "--groups", missing.join(","), user.name], login), {
                doing: `adding ${user.name} to ${missing.join(", ")}`,
              })
              .then(() => {}),
        );
      }
      for (const dir of host.desired.dirs) {
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
        await ctx.gate.wet({ host: name, kind: "dir", target: dir.path, detail }, async () => {
          await host.conn.run(
            asRoot(["install", "-d", "-m", dir.mode, "-o", dir.owner, "-g", dir.group, dir.path], login),
            { doing: `creating ${dir.path}` },
          );
        });
      }
    });
  },
};

import { upload } from "../../remote/upload.js";
import type { Phase } from "../context.js";
import { eachHost } from "../each-host.js";
import { owesRestart } from "../restart-marker.js";

/** Uploads each binary whose checksum differs on the host (atomic rename), and owes its service a restart. */
export const installBinaries: Phase = {
  title: "install binaries",
  async run(ctx) {
    await eachHost(ctx, ctx.hosts, async (host) => {
      for (const bin of host.binaries) {
        const have = host.state.paths.get(bin.path);
        const a = bin.artifact;
        if (have?.kind === "file" && have.sha256 === a.binarySha256 && have.mode === "0755") continue;
        const detail =
          have?.kind === "file"
            ? `replace with ${a.product} ${a.version} (${a.arch})`
            : `install ${a.product} ${a.version} (${a.arch})`;
        await owesRestart(ctx, host, bin.service);
        await ctx.gate.wet({ host: host.spec.name, kind: "binary", target: bin.path, detail }, async () => {
          ctx.out.host(
            host.spec.name,
            `uploading ${a.product} ${a.version} (${Math.round(a.binarySize / 1048576)} MB)`,
          );
          await upload(host.conn, {
            dest: bin.path,
            content: { localPath: a.binaryPath, sha256: a.binarySha256 },
            mode: "0755",
            remoteSha256: have?.kind === "file" ? (have.sha256 ?? null) : null,
          });
        });
      }
    });
  },
};

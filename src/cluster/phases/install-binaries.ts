import { verifiedPayload } from "../../artifacts/payload.js";
import { HostError } from "../../errors.js";
import { asRoot, shInline } from "../../remote/command.js";
import { upload } from "../../remote/upload.js";
import type { HostRun, Phase } from "../context.js";
import { eachHost } from "../each-host.js";
import { owesRestart } from "../restart-marker.js";
import { RECORD_SHA_SCRIPT, SHA_CACHE } from "../state-script.js";

/**
 * Remembers the binary's checksum on the host (np's bookkeeping, not a change to its software: it never shows in
 * `np plan`) and checks that the file there is the one np verified.
 */
async function recordSha(host: HostRun, path: string, expected: string): Promise<void> {
  const r = await host.conn.run(asRoot(shInline(RECORD_SHA_SCRIPT, [path, SHA_CACHE]), host.spec.ssh.user));
  const actual = r.stdout.trim();
  if (actual !== expected) {
    throw new HostError(
      host.spec.name,
      `${path} has sha256 ${actual} after installing it, expected ${expected}`,
    );
  }
}

/**
 * Uploads each binary whose checksum differs on the host, and owes its service a restart. What is sent is made
 * from the archive verified in this run (`verifiedPayload`), and the host renames it into place only after its
 * own sha256 of the unpacked file matches.
 */
export const installBinaries: Phase = {
  title: "install binaries",
  async run(ctx) {
    const payloadOptions = { onWarning: (m: string) => ctx.out.warn(m), signal: ctx.signal };
    await eachHost(ctx, ctx.hosts, async (host) => {
      for (const bin of host.binaries) {
        const have = host.state.paths.get(bin.path);
        const a = bin.artifact;
        const installed = (sha256: string) =>
          have?.kind === "file" && have.sha256 === sha256 && have.mode === "0755";
        // The cache's word is enough to leave a host alone; installing takes the sha256 derived from the archive.
        const sha256 =
          installed(a.binarySha256) || ctx.gate.dryRun
            ? a.binarySha256
            : (await verifiedPayload(a, payloadOptions)).sha256;
        if (installed(sha256)) {
          // Installed by hand or by an older np: remember its checksum so later runs need not hash it.
          if (have?.kind === "file" && !have.shaCached)
            await ctx.gate.bookkeeping(() => recordSha(host, bin.path, sha256));
          continue;
        }
        const detail =
          have?.kind === "file"
            ? `replace with ${a.product} ${a.version} (${a.arch})`
            : `install ${a.product} ${a.version} (${a.arch})`;
        await owesRestart(ctx, host, bin.component.unit);
        await ctx.gate.wet({ host: host.spec.name, kind: "binary", target: bin.path, detail }, async () => {
          ctx.out.host(
            host.spec.name,
            `uploading ${a.product} ${a.version} (${Math.round(a.binarySize / 1048576)} MB)`,
          );
          await upload(host.conn, {
            dest: bin.path,
            content: await verifiedPayload(a, payloadOptions),
            mode: "0755",
            remoteSha256: have?.kind === "file" ? (have.sha256 ?? null) : null,
            log: (m) => ctx.out.host(host.spec.name, m),
          });
          await recordSha(host, bin.path, sha256);
        });
      }
    });
  },
};

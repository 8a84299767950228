// Traefik TEST DOUBLE: certificatesResolvers.<name>.acme. The configuration is parsed and validated (static.mjs)
// and the storage file is prepared like pkg/provider/acme/local_store_unix.go CheckFile does: created empty with
// mode 0600 when missing; refused when its permissions are wider ("permissions 644 for <f> are too open, please
// use 600"), which skips that resolver (cmd/traefik/traefik.go initACMEProvider). No ACME request is ever made:
// there is no network here, so no certificate is obtained (and TLS is not modelled anyway: entrypoints.mjs).
import fs from "node:fs";

/** Prepares every ACME resolver's storage; returns the names of the resolvers kept. */
export function prepareAcme(resolvers, log) {
  const kept = [];
  for (const [name, r] of Object.entries(resolvers)) {
    if (!r.acme) continue;
    try {
      checkFile(r.acme.storage);
      kept.push(name);
      log("info", "ACME is not modelled by np's Traefik double: no certificate will be requested", {
        resolver: name,
      });
    } catch (err) {
      log("error", "The ACME resolve is skipped from the resolvers list", {
        error: err.message,
        resolver: name,
      });
    }
  }
  return kept;
}

function checkFile(file) {
  let st;
  try {
    st = fs.statSync(file);
  } catch (err) {
    if (err.code !== "ENOENT") throw err;
    try {
      fs.closeSync(fs.openSync(file, "w", 0o600));
      fs.chmodSync(file, 0o600);
    } catch (e) {
      throw new Error(`open ${file}: ${e.code === "ENOENT" ? "no such file or directory" : e.message}`);
    }
    return;
  }
  const perm = st.mode & 0o777;
  if (perm & 0o077)
    throw new Error(`permissions ${perm.toString(8)} for ${file} are too open, please use 600`);
}

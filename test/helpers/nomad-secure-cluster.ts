import path from "node:path";
import { NomadAclApi } from "../../src/api/nomad-acl.js";
import { loadClusterSecrets } from "../../src/cluster/cluster-secrets.js";
import { bootstrapNomadAcl } from "../../src/cluster/nomad-acl-bootstrap.js";
import { NOMAD_MANAGEMENT } from "../../src/components/nomad/index.js";
import type { HostSpec, Inventory } from "../../src/inventory/index.js";
import { operatorProfile } from "../../src/pki/index.js";
import { TLS_SECRET } from "../../src/pki/values.js";
import type { SecretValues } from "../../src/secrets/index.js";
import { until } from "./consul-tls-cluster.js";
import { LoopbackNomad, nomadDispatcher, nomadHttps } from "./nomad-tls-cluster.js";

/** A running cluster of np's Nomad double as `np up` leaves it, and how np reaches it. */
export interface SecureNomad {
  secrets: SecretValues;
  cluster: LoopbackNomad;
  /** TLS with the cluster CA, presenting np's operator certificate. */
  dispatcher: ReturnType<typeof nomadDispatcher>;
  /** np's management token (the bootstrap's secret). */
  management: string;
  /** Whether this call bootstrapped the ACLs (false: they were already). */
  bootstrapped: boolean;
}

/**
 * Starts `hosts` of `inv` as Nomad doubles from np's renders (TLS and ACLs on; secrets and certificates in
 * `inv.dir/.np`), then bootstraps the ACLs through `servers` with np's saved management secret.
 */
export async function startSecureNomad(
  inv: Inventory,
  servers: readonly HostSpec[],
  hosts: readonly HostSpec[],
): Promise<SecureNomad> {
  const secrets = (await loadClusterSecrets(inv)).secrets;
  const reveal = (name: string) => secrets.get(name).reveal();
  const cluster = new LoopbackNomad(path.join(inv.dir, "hosts"), inv, secrets);
  for (const h of hosts) cluster.start(h);
  const id = operatorProfile(inv.cluster.name).id;
  const dispatcher = nomadDispatcher(reveal(TLS_SECRET.caCert), {
    cert: reveal(TLS_SECRET.cert(id)),
    key: reveal(TLS_SECRET.key(id)),
  });
  const management = reveal(NOMAD_MANAGEMENT.name);
  const apis = servers.map((h) => nomadHttps(h, dispatcher));
  const bootstrapped = await bootstrapNomadAcl(apis, management, { timeoutMs: 60_000, intervalMs: 300 });
  // As np up leaves it: every server resolves the management token (a follower applies the bootstrap a moment
  // after the leader; a test asking it sooner would get 403 on a loaded machine).
  for (const h of servers)
    await until(`${h.name} resolves np's management token`, async () =>
      (await new NomadAclApi(nomadHttps(h, dispatcher)).self(management))?.Type === "management"
        ? true
        : undefined,
    );
  return { secrets, cluster, dispatcher, management, bootstrapped };
}

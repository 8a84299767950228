import { MANAGEMENT_TOKEN } from "../../components/consul/index.js";
import { NOMAD_MANAGEMENT } from "../../components/nomad/index.js";
import type { Inventory } from "../../inventory/index.js";
import { operatorProfile } from "../../pki/profiles.js";
import { TLS_SECRET } from "../../pki/values.js";
import type { SecretValues } from "../../secrets/index.js";
import type { ApiTunnels } from "../apis.js";
import { loadClusterSecrets } from "../cluster-secrets.js";
import type { Phase } from "../context.js";

/**
 * The secrets the inventory's components need: generated once into `.np/secrets/` (the cluster CA and the
 * certificates it issues included), then reused by every run.
 */
export const loadSecrets: Phase = {
  title: "cluster secrets",
  async run(ctx) {
    const { secrets, issued } = await loadClusterSecrets(ctx.inv);
    for (const c of issued) ctx.out.info(`issued certificate ${c.id} (${c.why})`);
    ctx.secrets = secrets;
    grantTunnelAccess(ctx.tunnels, ctx.inv, secrets);
  },
};

/**
 * What np's tunnels present and check: Consul's HTTPS against the cluster CA with the management token once it
 * exists; Nomad's HTTPS too, np presenting its operator certificate, with the management token np made.
 */
export function grantTunnelAccess(tunnels: ApiTunnels, inv: Inventory, secrets: SecretValues): void {
  tunnels.consulAccess.ca = secrets.get(TLS_SECRET.caCert).reveal();
  tunnels.consulAccess.token = secrets.find(MANAGEMENT_TOKEN.name);
  const operator = operatorProfile(inv.cluster.name).id;
  tunnels.nomadAccess.tls = {
    ca: secrets.get(TLS_SECRET.caCert).reveal(),
    cert: secrets.get(TLS_SECRET.cert(operator)).reveal(),
    key: secrets.get(TLS_SECRET.key(operator)).reveal(),
  };
  tunnels.nomadAccess.token = secrets.get(NOMAD_MANAGEMENT.name);
}

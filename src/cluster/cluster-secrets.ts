import path from "node:path";
import { consulTlsProfiles, consulTokenSecrets } from "../components/consul/index.js";
import { secretsFor } from "../components/index.js";
import { nomadTlsProfiles, nomadTokenSecrets } from "../components/nomad/index.js";
import { npAgentTlsProfiles } from "../components/np-agent/index.js";
import type { Inventory } from "../inventory/index.js";
import { operatorProfile } from "../pki/profiles.js";
import { loadPki } from "../pki/values.js";
import { type Secret, SecretStore, type SecretValues } from "../secrets/index.js";

/** A run's secrets, and the certificates issued while they were loaded. */
export interface ClusterSecrets {
  secrets: SecretValues;
  issued: { id: string; why: string }[];
}

/**
 * Every secret the inventory needs, as one set of values for the renders: the components' named secrets, the
 * Consul and Nomad tokens (one per host where a token names its node; Nomad's client tokens once Nomad made them)
 * and the cluster PKI (CA, the agents' certificates, np-agent's and np's own client certificates).
 * A secret file others can read, or a CA whose key is not its own, fails here: before anything on a host changes.
 */
export async function loadClusterSecrets(inv: Inventory): Promise<ClusterSecrets> {
  const stateDir = path.join(inv.dir, ".np");
  const named = await new SecretStore(stateDir).load([
    ...secretsFor(inv),
    ...consulTokenSecrets(inv),
    ...nomadTokenSecrets(inv),
  ]);
  const pki = await loadPki(stateDir, inv.cluster.name, [
    ...consulTlsProfiles(inv),
    ...nomadTlsProfiles(inv),
    ...npAgentTlsProfiles(inv),
    operatorProfile(inv.cluster.name),
  ]);
  const secrets: SecretValues = {
    get(name: string): Secret {
      return pki.values.get(name) ?? named.get(name);
    },
    find: (name: string) => pki.values.get(name) ?? named.find(name),
  };
  return { secrets, issued: pki.issued };
}

import path from "node:path";
import { consulTlsProfiles, consulTokenSecrets } from "../components/consul/index.js";
import { secretsFor } from "../components/index.js";
import type { Inventory } from "../inventory/index.js";
import { loadPki } from "../pki/values.js";
import { type Secret, SecretStore, type SecretValues } from "../secrets/index.js";

/** A run's secrets, and the certificates issued while they were loaded. */
export interface ClusterSecrets {
  secrets: SecretValues;
  issued: { id: string; why: string }[];
}

/**
 * Every secret the inventory needs, as one set of values for the renders: the components' named secrets, the
 * Consul tokens (one per host where a token names its node) and the cluster PKI (CA and leaf certificates).
 * A secret file others can read, or a CA whose key is not its own, fails here: before anything on a host changes.
 */
export async function loadClusterSecrets(inv: Inventory): Promise<ClusterSecrets> {
  const stateDir = path.join(inv.dir, ".np");
  const named = await new SecretStore(stateDir).load([...secretsFor(inv), ...consulTokenSecrets(inv)]);
  const pki = await loadPki(stateDir, inv.cluster.name, consulTlsProfiles(inv));
  const secrets: SecretValues = {
    get(name: string): Secret {
      return pki.values.get(name) ?? named.get(name);
    },
    find: (name: string) => pki.values.get(name) ?? named.find(name),
  };
  return { secrets, issued: pki.issued };
}

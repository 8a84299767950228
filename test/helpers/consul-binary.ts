import { existsSync } from "node:fs";

/** The real Consul 1.8.7 binary fetched by test/tools/fetch-consul.sh (CI runs it; so can you). */
export const consulBinary = process.env.NP_TEST_CONSUL ?? "/var/cache/np-test/consul-1.8.7/consul";

/** Why the real Consul is unavailable, or null. In CI a missing binary is a failure, never a skip. */
export function consulMissing(): string | null {
  if (existsSync(consulBinary)) return null;
  const reason = `real Consul not found at ${consulBinary}: run test/tools/fetch-consul.sh`;
  if (process.env.CI) throw new Error(reason);
  console.warn(`skipping: ${reason}`);
  return reason;
}

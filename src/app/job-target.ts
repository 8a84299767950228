import type { Inventory } from "../inventory/types.js";

/** What a job needs to know about the cluster it is deployed to and the np deploying it. */
export interface JobTarget {
  region: string;
  datacenters: string[];
  /** Whether the edge nodes get certificates from Let's Encrypt (the inventory sets traefik.acme_email). */
  acme: boolean;
  /** np's version, recorded in the job's Meta. */
  npVersion: string;
}

/** The JobTarget of an inventory's cluster. */
export function jobTargetOf(inventory: Inventory, npVersion: string): JobTarget {
  return {
    region: inventory.cluster.region,
    datacenters: [inventory.cluster.datacenter],
    acme: inventory.traefik.acmeEmail !== undefined,
    npVersion,
  };
}

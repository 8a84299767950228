/** A certificate file np installs on a host: what `np status` reads back, and what a reload must make live. */
export interface CertificateSite {
  /** Where np writes it on the host. */
  path: string;
  /** What it is, in messages: "cluster CA" for a CA bundle, else the leaf's profile id ("consul-server-node1"). */
  name: string;
  kind: "ca" | "leaf";
  /** The unit that reads it (a change reloads it). */
  unit: string;
  /** Where the host serves this leaf, reached from the host itself: after a reload np checks it is the new one. */
  servedAt?: { host: string; port: number };
}

/** A certificate and its private key, both PEM (the key PKCS#8). */
export interface KeyPair {
  certPem: string;
  keyPem: string;
}

/** What a leaf certificate is for: the names it carries and how long it lives. */
export interface LeafProfile {
  /** File stem under .np/secrets (`consul-server-node1`): one certificate per profile. */
  id: string;
  commonName: string;
  dnsNames: string[];
  ips: string[];
  /** Extended key usages: a Raft server both serves and dials its peers, so it is server and client. */
  usages: ("serverAuth" | "clientAuth")[];
  validityDays: number;
}

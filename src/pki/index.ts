/** np's cluster PKI: a CA it makes and keeps in .np/secrets, and the leaf certificates it issues per host. */
export { caProblem, keyMatchesCert, leafRenewalReason, sansOf } from "./check.js";
export { createCa, issueLeaf } from "./issue.js";
export {
  type CertHost,
  consulServerProfile,
  LIFETIME,
  nomadAgentProfile,
  npAgentClientProfile,
  operatorProfile,
} from "./profiles.js";
export { PkiStore } from "./store.js";
export type { KeyPair, LeafProfile } from "./types.js";
export { type LoadedPki, loadPki, TLS_SECRET } from "./values.js";

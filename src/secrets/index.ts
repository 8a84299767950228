/** Secrets np generates for a cluster and keeps in `.np/secrets/` (0700 folder, 0600 files, never printed). */
export { generateGossipKey, isGossipKey } from "./gossip-key.js";
export { generatePassword, isPassword, passwordSecret } from "./password.js";
export { assertPrivateFile } from "./private-file.js";
export { revealSecrets, Secret } from "./secret.js";
export { type SecretSpec, SecretStore, type SecretValues } from "./store.js";

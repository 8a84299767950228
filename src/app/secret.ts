import { revealSecrets as reveal } from "../secrets/secret.js";

/** np.yaml env values are np's one kind of Secret (src/secrets): they print as "[secret]" everywhere. */
export { Secret } from "../secrets/secret.js";

/** A deep copy of `data` with every Secret replaced by its value: the request body sent to Nomad. */
export const revealSecrets = <T>(data: T): T => reveal(data).value;

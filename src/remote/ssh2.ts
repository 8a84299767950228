import { createRequire } from "node:module";
import type ssh2 from "ssh2";

/**
 * The parts of ssh2 np uses, from its own files: its index also loads its SSH server, its HTTP agents (and with
 * them node:http and node:https) and more, which every command that talks to hosts paid for at start-up. The paths
 * are ssh2's (no exports map); test/unit/cli-startup.test.ts checks that np check loads the client without them.
 */
const require = createRequire(import.meta.url);

export const Client: typeof ssh2.Client = require("ssh2/lib/client.js");
export const parseKey: typeof ssh2.utils.parseKey = require("ssh2/lib/protocol/keyParser.js").parseKey;

/** ssh2's key generator (np init, np sandbox): loaded when asked for. */
export const keygen = (): Pick<typeof ssh2.utils, "generateKeyPairSync"> => require("ssh2/lib/keygen.js");

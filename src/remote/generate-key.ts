import { keygen, parseKey } from "./ssh2.js";

export interface KeyPairOptions {
  comment?: string;
  /** Encrypts the private key (OpenSSH bcrypt KDF) with this passphrase. */
  passphrase?: string;
  cipher?: string;
  rounds?: number;
}

/**
 * A fresh ed25519 key pair in OpenSSH format. ssh2 strips leading zero bytes from the public key, so about one
 * pair in 256 cannot be parsed back, by ssh2 or OpenSSH (mscdex/ssh2#1390, #1513): keep only a pair whose both
 * halves parse.
 */
export function generateEd25519KeyPair(opts: KeyPairOptions = {}): { private: string; public: string } {
  for (;;) {
    const pair = keygen().generateKeyPairSync("ed25519", opts);
    const parsed = [parseKey(pair.private, opts.passphrase), parseKey(pair.public)];
    if (!parsed.some((k) => k instanceof Error)) return pair;
  }
}

import { utils } from "ssh2";
import { describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../../src/remote/generate-key.js";

describe("generating ed25519 key pairs", () => {
  // ssh2 alone yields an unparseable pair about once in 256 (mscdex/ssh2#1513): in 2000 pairs that happens with
  // probability 1 - (255/256)^2000 > 99.9%, so this test fails without the check.
  it("never yields a pair that cannot be parsed back", () => {
    let bad = 0;
    for (let i = 0; i < 2000; i++) {
      const pair = generateEd25519KeyPair({ comment: "np-test" });
      if (utils.parseKey(pair.private) instanceof Error || utils.parseKey(pair.public) instanceof Error)
        bad++;
    }
    expect(bad).toBe(0);
  });

  it("encrypts the private key with a passphrase", () => {
    const pair = generateEd25519KeyPair({ passphrase: "s3cret", cipher: "aes256-ctr", rounds: 4 });
    expect(utils.parseKey(pair.private)).toBeInstanceOf(Error);
    expect(utils.parseKey(pair.private, "s3cret")).not.toBeInstanceOf(Error);
  });
});

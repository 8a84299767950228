// tsyringe (inside @peculiar/x509) needs the Reflect metadata API before the library loads.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// The provider takes WebCrypto as the DOM types spell it; node:crypto's is the same API.
x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

/** @peculiar/x509 on node:crypto's WebCrypto: the one place np builds X.509 structures (no hand-written ASN.1). */
export { x509 };

/** ECDSA P-256 with SHA-256: what np's CA and every certificate it issues use. */
export const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

import { randomBytes } from "node:crypto";

/** A new gossip encryption key: 32 random bytes, base64, as `consul keygen` and `nomad operator gossip keyring generate` make. */
export function generateGossipKey(): string {
  return randomBytes(32).toString("base64");
}

/** Whether `value` is a key Consul and Nomad accept: standard base64 of exactly 32 bytes. */
export function isGossipKey(value: unknown): value is string {
  return (
    typeof value === "string" &&
    /^[A-Za-z0-9+/]{43}=$/.test(value) &&
    Buffer.from(value, "base64").length === 32
  );
}

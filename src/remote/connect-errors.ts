import { HostError } from "../errors.js";
import type { HostKeyVerdict } from "./known-hosts.js";

/** Where np tried to connect, for messages. */
export interface Target {
  host: string;
  address: string;
  port: number;
  user: string;
  key?: string;
  passphraseEnv?: string;
  via?: string;
}

/** Turns a socket or ssh2 failure into a HostError that says what happened and what to do. */
export function connectError(t: Target, err: unknown, hostKey?: HostKeyVerdict): HostError {
  const e = err as NodeJS.ErrnoException & { level?: string };
  const where = `${t.address}:${t.port}${t.via ? ` (via bastion ${t.via})` : ""}`;
  if (hostKey?.kind === "changed") {
    return new HostError(
      t.host,
      `host key for ${where} has changed: expected ${hostKey.expected.join(" or ")}, got ${hostKey.actual}`,
      `if ${t.host} was reinstalled, delete its line from ${hostKey.source} and run again; otherwise someone may be intercepting the connection`,
    );
  }
  if (hostKey?.kind === "revoked") {
    return new HostError(
      t.host,
      `host key ${hostKey.actual} of ${where} is revoked (@revoked in ${hostKey.source} line ${hostKey.line})`,
      `np refuses a revoked key: give ${t.host} a new host key and remove its old pin, or check that nobody is impersonating it`,
    );
  }
  const code = e?.code ?? "";
  const message = e?.message ?? String(err);
  if (code === "ECONNREFUSED") {
    return new HostError(
      t.host,
      `connection refused by ${where}`,
      "is sshd running and listening on that port?",
    );
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new HostError(t.host, `cannot resolve ${t.address}`, "check the host's address in the inventory");
  }
  if (["ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "NP_CONNECT_TIMEOUT"].includes(code)) {
    return new HostError(
      t.host,
      `unreachable: no answer from ${where}`,
      "check that the host is up, the address is right and no firewall blocks SSH",
    );
  }
  if (e?.level === "client-authentication" || /authentication methods failed/i.test(message)) {
    const how = t.key ? `key ${t.key}` : "the keys in ssh-agent";
    return new HostError(
      t.host,
      `authentication failed for user ${t.user} with ${how}`,
      `check ssh.user and ssh.key in the inventory, and that the public key is in ~${t.user}/.ssh/authorized_keys on ${t.host}`,
    );
  }
  if (/Encrypted private (OpenSSH )?key detected, but no passphrase/i.test(message)) {
    const hint = t.passphraseEnv
      ? `set the environment variable ${t.passphraseEnv} (ssh.passphrase_env) to the key's passphrase`
      : "set ssh.passphrase_env to the name of an environment variable that holds its passphrase";
    return new HostError(t.host, `the private key ${t.key} is encrypted and no passphrase was given`, hint);
  }
  if (/Cannot parse privateKey/i.test(message)) {
    return new HostError(
      t.host,
      `cannot use the private key ${t.key}: ${message}`,
      "check ssh.key (and the passphrase)",
    );
  }
  if (/Timed out while waiting for handshake/i.test(message)) {
    return new HostError(
      t.host,
      `no SSH handshake from ${where} in time`,
      "is an SSH server listening there?",
    );
  }
  return new HostError(t.host, `cannot connect to ${where}: ${message}`);
}

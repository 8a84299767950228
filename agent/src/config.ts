import fs from "node:fs";

/** /etc/np-agent/config.json, written by `np up` (contract in the project brief, "np-agent"). */
export interface AgentConfig {
  node: string;
  roles: string[];
  datacenter: string;
  listen: { address: string; port: number };
  intervalSec: number;
  stateDir: string;
  consul: { address: string; token: string | null };
  nomad: {
    address: string;
    token: string | null;
    dataDir: string;
    /** Files for Nomad's HTTPS API (verify_https_client): the CA to check it with, the agent's client certificate. */
    tls: { caFile: string; certFile: string; keyFile: string } | null;
  } | null;
  openobserve: { url: string; org: string; user: string; password: string } | null;
  units: string[];
  versions: Record<string, string>;
  disks: string[];
  streams: { metrics: string; logs: string; journal: string };
  /** Optional (not written by np today): the bound of the on-disk buffer, default 64 MiB. */
  spoolMaxBytes: number;
}

/** The default bound of the on-disk buffer of records waiting for OpenObserve. */
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;

/** A config file that cannot be used; the agent refuses to start and says which key is wrong. */
export class ConfigError extends Error {}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== "string" || v === "") throw new ConfigError(`${where}${key}: must be a non-empty string`);
  return v;
}

function optStr(o: Obj, key: string, where: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new ConfigError(`${where}${key}: must be a string or null`);
  return v;
}

function num(o: Obj, key: string, where: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
    throw new ConfigError(`${where}${key}: must be a number from ${min} to ${max}`);
  return v;
}

function strList(o: Obj, key: string, where: string): string[] {
  const v = o[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && x !== ""))
    throw new ConfigError(`${where}${key}: must be a list of non-empty strings`);
  return v as string[];
}

function obj(o: Obj, key: string, where: string): Obj {
  const v = o[key];
  if (!isObj(v)) throw new ConfigError(`${where}${key}: must be an object`);
  return v;
}

function optObj(o: Obj, key: string, where: string): Obj | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new ConfigError(`${where}${key}: must be an object or null`);
  return v;
}

function httpUrl(o: Obj, key: string, where: string): string {
  const v = str(o, key, where);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${where}${key}: not a URL: ${v}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new ConfigError(`${where}${key}: must be an http:// or https:// URL`);
  return v.replace(/\/+$/, "");
}

/** Checks a parsed config document and returns it typed; throws ConfigError naming the bad key. */
export function parseConfig(doc: unknown): AgentConfig {
  if (!isObj(doc)) throw new ConfigError("config: must be a JSON object");
  const listen = obj(doc, "listen", "");
  const consul = obj(doc, "consul", "");
  const nomad = optObj(doc, "nomad", "");
  const nomadTls = nomad && optObj(nomad, "tls", "nomad.");
  const oo = optObj(doc, "openobserve", "");
  const streams = obj(doc, "streams", "");
  const versions = obj(doc, "versions", "");
  for (const [k, v] of Object.entries(versions))
    if (typeof v !== "string") throw new ConfigError(`versions.${k}: must be a string`);
  const node = str(doc, "node", "");
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(node))
    throw new ConfigError("node: letters, digits, '.', '_' and '-' only (it names a Consul KV key)");
  return {
    node,
    roles: strList(doc, "roles", ""),
    datacenter: str(doc, "datacenter", ""),
    listen: { address: str(listen, "address", "listen."), port: num(listen, "port", "listen.", 0, 65535) },
    intervalSec: num(doc, "intervalSec", "", 0.2, 3600),
    stateDir: str(doc, "stateDir", ""),
    consul: { address: httpUrl(consul, "address", "consul."), token: optStr(consul, "token", "consul.") },
    nomad: nomad && {
      address: httpUrl(nomad, "address", "nomad."),
      token: optStr(nomad, "token", "nomad."),
      dataDir: str(nomad, "dataDir", "nomad."),
      tls: nomadTls && {
        caFile: str(nomadTls, "caFile", "nomad.tls."),
        certFile: str(nomadTls, "certFile", "nomad.tls."),
        keyFile: str(nomadTls, "keyFile", "nomad.tls."),
      },
    },
    openobserve: oo && {
      url: httpUrl(oo, "url", "openobserve."),
      org: str(oo, "org", "openobserve."),
      user: str(oo, "user", "openobserve."),
      password: str(oo, "password", "openobserve."),
    },
    units: strList(doc, "units", ""),
    versions: versions as Record<string, string>,
    disks: strList(doc, "disks", ""),
    streams: {
      metrics: str(streams, "metrics", "streams."),
      logs: str(streams, "logs", "streams."),
      journal: str(streams, "journal", "streams."),
    },
    spoolMaxBytes:
      doc.spoolMaxBytes === undefined
        ? DEFAULT_SPOOL_MAX_BYTES
        : num(doc, "spoolMaxBytes", "", 64 * 1024, 16 * 1024 ** 3),
  };
}

/** Reads and checks the config file. */
export function loadConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not JSON: ${(err as Error).message}`);
  }
  return parseConfig(doc);
}

/** Where np installs things on each host (README: "What np writes on each host"). */
export const HOST_PATHS = {
  consulBinary: "/usr/local/bin/consul",
  nomadBinary: "/usr/local/bin/nomad",
  consulDataDir: "/var/lib/consul",
  consulConfigDir: "/etc/consul.d",
  consulConfig: "/etc/consul.d/consul.hcl",
  consulUnit: "/etc/systemd/system/consul.service",
  nomadDataDir: "/var/lib/nomad",
  nomadConfigDir: "/etc/nomad.d",
  nomadConfig: "/etc/nomad.d/nomad.hcl",
  nomadUnit: "/etc/systemd/system/nomad.service",
} as const;

/** Consul's HTTP API as the local agents reach it (client_addr is loopback only). */
export const CONSUL_LOCAL_HTTP = "127.0.0.1:8500";

/** A service np runs on the hosts and restarts when its files change. */
export type Service = "consul" | "nomad";

/** A file np keeps on a host, with its exact content, mode and owner. */
export interface DesiredFile {
  /** Absolute path on the host. */
  path: string;
  content: string;
  /** Octal mode, e.g. "0640". */
  mode: string;
  owner: string;
  group: string;
  /** Services to restart when the file changes. */
  restarts: Service[];
  /** True when the content holds a secret: never print its content or a diff. */
  secret: boolean;
}

/** A directory np keeps on a host. */
export interface DesiredDir {
  path: string;
  /** Octal mode, e.g. "0750". */
  mode: string;
  owner: string;
  group: string;
}

/** A system account np creates on every host before installing files owned by it. */
export interface SystemUser {
  name: string;
  /** Primary group, created with the same name. */
  group: string;
  /** Always a system account (no aging, uid in the system range). */
  system: true;
  home: string;
  /** No login shell. */
  shell: string;
}

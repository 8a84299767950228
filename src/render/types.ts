/** A file np keeps on a host, with its exact content, mode and owner. */
export interface DesiredFile {
  /** Absolute path on the host. */
  path: string;
  content: string;
  /** Octal mode, e.g. "0640". */
  mode: string;
  owner: string;
  group: string;
  /** Units to restart when the content changes (a mode or owner change restarts nothing: files are read at start). */
  restarts: string[];
  /** Units to reload (systemctl reload: SIGHUP) when the content changes, where a reload is enough. */
  reloads?: string[];
  /** True when the content was rendered from a secret: never print its content or a diff. */
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

/** A system account np creates before installing files owned by it. */
export interface SystemUser {
  name: string;
  /** Primary group, created with the same name. */
  group: string;
  home: string;
  /** Supplementary groups (e.g. systemd-journal to read the journal). */
  groups?: string[];
}

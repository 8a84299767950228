/** One change `np up` makes (or, under `np plan`, would make) on one host. */
export interface Change {
  host: string;
  kind:
    | "user"
    | "dir"
    | "binary"
    | "file"
    | "daemon-reload"
    | "enable"
    | "start"
    | "restart"
    | "reload"
    | "credential";
  /** The path or unit it touches. */
  target: string;
  /** What changes, in words ("install consul 1.8.7", "mode 0644 → 0640"). */
  detail: string;
  /** A short diff of a text file; never for secrets. */
  diff?: string;
}

/**
 * The one gate every write to a host passes (k0sctl's `Wet`). `wet` records a change and runs it only when this
 * is not a dry run, so `np plan` runs exactly the code of `np up` and costs the phases nothing. `bookkeeping` is
 * the one named path for np's own records on the hosts (restart markers, the checksum cache, the cluster lock):
 * they are not changes to the cluster, so they are not listed, but a dry run must not write them either.
 */
export class ChangeGate {
  readonly changes: Change[] = [];

  constructor(
    readonly dryRun: boolean,
    private readonly onChange: (change: Change) => void = () => {},
  ) {}

  async wet(change: Change, apply: () => Promise<void>): Promise<void> {
    this.changes.push(change);
    this.onChange(change);
    if (!this.dryRun) await apply();
  }

  /** np's own records on a host: written on a real run, skipped (and not listed) on a dry run. */
  async bookkeeping<T>(write: () => Promise<T>): Promise<T | undefined> {
    if (this.dryRun) return undefined;
    return write();
  }

  /** Changes recorded for one host. */
  forHost(host: string): Change[] {
    return this.changes.filter((c) => c.host === host);
  }

  /** Whether anything was (or would be) started or restarted. */
  get startedAnything(): boolean {
    return this.changes.some((c) => c.kind === "start" || c.kind === "restart");
  }
}

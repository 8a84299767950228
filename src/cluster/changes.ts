/** One change `np up` makes (or, under `np plan`, would make) on one host. */
export interface Change {
  host: string;
  kind: "user" | "dir" | "binary" | "file" | "daemon-reload" | "enable" | "start" | "restart";
  /** The path or unit it touches. */
  target: string;
  /** What changes, in words ("install consul 1.8.7", "mode 0644 → 0640"). */
  detail: string;
  /** A short diff of a text file; never for secrets. */
  diff?: string;
}

/**
 * The one gate every change to a host passes (k0sctl's `Wet`): it records the change, and runs it only when this
 * is not a dry run. So `np plan` runs exactly the code of `np up` and costs the phases nothing.
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

  /** Changes recorded for one host. */
  forHost(host: string): Change[] {
    return this.changes.filter((c) => c.host === host);
  }
}

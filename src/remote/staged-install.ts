/**
 * The host side of an upload, as constant shell texts (values arrive as "$1"...): the staged file lands in
 * STAGING_DIR, is unpacked beside its destination, hashed there, and renamed into place only when its sha256 is
 * the one np expects. Every file np stages or unpacks carries the run's id in a recognisable name, so a run that
 * died (SIGKILL, lost connection, reboot) leaves nothing that the next upload to that host does not remove.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { HostError } from "../errors.js";

/** Where uploads are staged: writable by any login user (SFTP runs as that user, not as root). */
export const STAGING_DIR = "/tmp";
/** Prefix of staged files in STAGING_DIR: `.np-upload-<run>-<random>-<name>`. */
export const STAGED_PREFIX = ".np-upload-";
/** Prefix of unpacked files beside their destination, before the rename: `.np-install-<run>-<name>`. */
export const UNPACKED_PREFIX = ".np-install-";

/** This np process's id in the names of the files it stages (hex, no "-"). */
export const RUN_ID = randomBytes(4).toString("hex");

/** A fresh staged path for `dest`. */
export function stagedPath(dest: string, gzipped: boolean): string {
  const name = `${STAGED_PREFIX}${RUN_ID}-${randomBytes(4).toString("hex")}-${path.basename(dest)}`;
  return `${STAGING_DIR}/${name}${gzipped ? ".gz" : ""}`;
}

/**
 * Removes staged files that no live upload owns: every `.np-upload-*` in STAGING_DIR but this run's. Uploads
 * happen only under the cluster lock, so another run's files belong to a run that is dead. Prints what it removed.
 * $1 = this run's id.
 */
export const REMOVE_STALE_STAGED_SCRIPT = `for f in ${STAGING_DIR}/${STAGED_PREFIX}*; do
  case "$f" in
    "${STAGING_DIR}/${STAGED_PREFIX}$1-"*) ;;
    *) if [ -f "$f" ] && rm -f "$f"; then printf '%s\\n' "$f"; fi ;;
  esac
done`;

/**
 * After a failed SFTP write: removes the partial staged file, then prints the free kB and free inodes of the
 * staging folder (SFTP reports a full disk only as "Failure"). $1 = staged file, $2 = its folder.
 */
export const AFTER_FAILED_STAGING_SCRIPT = `export LC_ALL=C
rm -f "$1"
df -Pk "$2" | awk 'NR == 2 { print $4 }'
df -Pi "$2" | awk 'NR == 2 { print $4 }'`;

/** Exit code of INSTALL_SCRIPT when the destination's file system is full (errno ENOSPC). */
export const EXIT_NO_SPACE = 28;
/** Exit code of INSTALL_SCRIPT when the unpacked file's sha256 is not the expected one (printed on stdout). */
export const EXIT_SHA_MISMATCH = 65;

/**
 * Unpacks (gunzip, or copies) the staged file into a private (0600) temporary file beside the destination, hashes
 * it, and only when its sha256 is $7 sets owner and mode and renames it over the destination (atomic: same
 * folder). On every exit path the staged file and the temporary file are removed. It also removes temporary
 * files that dead runs left in the destination's folder.
 * $1 mode, $2 owner, $3 group, $4 staged file, $5 destination, $6 gz|plain, $7 sha256, $8 run id.
 */
export const INSTALL_SCRIPT = `export LC_ALL=C
umask 077
dir=$(dirname "$5")
tmp="$dir/${UNPACKED_PREFIX}$8-$(basename "$5")"
trap 'rm -f "$4" "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
for f in "$dir"/${UNPACKED_PREFIX}* "$5".np-tmp.*; do
  case "$f" in "$dir/${UNPACKED_PREFIX}$8-"*) ;; *) if [ -f "$f" ]; then rm -f "$f"; fi ;; esac
done
if [ -d "$5" ] && [ ! -L "$5" ]; then echo "$5 is a directory" >&2; exit 1; fi
if [ "$6" = gz ]; then err=$(gunzip -c <"$4" 2>&1 >"$tmp"); else err=$(cat "$4" 2>&1 >"$tmp"); fi
if [ $? -ne 0 ]; then
  printf '%s\\n' "$err" >&2
  case "$err" in *"No space left"* | *"Disk quota exceeded"*) exit ${EXIT_NO_SPACE} ;; esac
  exit 1
fi
sum=$(sha256sum "$tmp") || exit 1
sum=\${sum%% *}
if [ "$sum" != "$7" ]; then printf '%s\\n' "$sum"; exit ${EXIT_SHA_MISMATCH}; fi
chown "$2:$3" "$tmp" && chmod "$1" "$tmp" && mv -fT "$tmp" "$5"`;

/** What an upload installs, for messages. */
export interface InstallTarget {
  host: string;
  dest: string;
  /** Bytes staged (gzipped when large) and bytes once unpacked. */
  stagedSize: number;
  size: number;
}

/** "19.3 MB", "4 kB": sizes in messages about full disks. */
function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.ceil(bytes / 1024))} kB`;
}

/** The host error for a full file system at `folder`. */
export function noSpace(t: InstallTarget, folder: string, doing: "staging" | "installing"): HostError {
  const bytes = doing === "staging" ? t.stagedSize : t.size;
  return new HostError(
    t.host,
    `no space left in ${folder} (${doing} ${size(bytes)} for ${t.dest})`,
    `free space in ${folder} on ${t.host} (\`df -h ${folder}\`) and run the command again; np removed its partial files`,
  );
}

/**
 * Whether a failed staging was a full disk, from AFTER_FAILED_STAGING_SCRIPT's output: fewer free bytes than
 * the file needs (the partial file is already removed), or no free inode.
 */
export function stagingRanOutOfSpace(output: string, stagedSize: number): boolean {
  const [kb, inodes] = output.trim().split("\n").map(Number);
  if (kb === undefined || inodes === undefined || Number.isNaN(kb) || Number.isNaN(inodes)) return false;
  return kb * 1024 < stagedSize || inodes === 0;
}

/** The host error for INSTALL_SCRIPT's exit code (undefined for success). */
export function installFailure(
  t: InstallTarget,
  r: { code: number | null; signal?: string; stdout: string; stderr: string },
  expected: string,
): HostError | undefined {
  if (r.code === 0) return undefined;
  if (r.code === EXIT_NO_SPACE) return noSpace(t, path.posix.dirname(t.dest), "installing");
  if (r.code === EXIT_SHA_MISMATCH)
    return new HostError(
      t.host,
      `${t.dest}: the uploaded file unpacks to sha256 ${r.stdout.trim()} on the host, expected ${expected}; ` +
        "not installed (np removed the staged file)",
      "the upload was damaged on its way or on the host: run the command again",
    );
  const tail = r.stderr.trim().split("\n").slice(-3).join("\n");
  return new HostError(
    t.host,
    `cannot install ${t.dest} (exit ${r.code ?? r.signal})${tail ? `: ${tail}` : ""}; np removed the staged file`,
    undefined,
    r.stderr,
  );
}

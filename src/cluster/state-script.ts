/** Where np keeps the checksums of the binaries it installed, keyed by size, mtime and inode. */
export const SHA_CACHE = "/var/lib/np/sha256-cache";

/** Where np records restarts it owes: a file per unit, removed once the unit restarted. */
export const PENDING_DIR = "/var/lib/np/restart-pending";

/**
 * Reads everything a host's convergence depends on, in the same round trip as the preflight facts: it is appended
 * to FACTS_SCRIPT, whose `section` function prints markers that carry the run's nonce (no file content printed
 * here can forge one). Its arguments ("$@") are `paths P…`, `units U…`, `users N…`. For each path: type, mode,
 * owner, group and (files) sha256; for each unit: systemd's properties; for each user: whether it exists and its
 * groups; and the restarts an interrupted run left pending. Constant text: values arrive only as arguments.
 * A binary's sha256 comes from SHA_CACHE while its size, mtime and inode are unchanged (flag c=1): hashing a
 * 100 MB binary on every run would dominate a no-op `np up`.
 */
export const STATE_SCRIPT = `
want=
# Forks are what a no-op run pays for on every path: the cache is read once, looked up with the shell's own
# pattern matching, and each file costs one stat (and a sha256sum only when the cache does not know it).
nl='
'
cache="$nl$(cat ${SHA_CACHE} 2>/dev/null)"
for a in "$@"; do
  case "$a" in
    paths|units|users) want=$a; section "$a"; continue ;;
  esac
  case "$want" in
    paths)
      if [ -f "$a" ]; then
        info=$(stat -c '%a|%U|%G|%s:%.9Y:%i' "$a")
        key=\${info##*|}
        sum=
        rest=\${cache#*"$nl$key "}
        if [ "$rest" != "$cache" ]; then
          p=\${rest#* }
          [ "\${p%%"$nl"*}" = "$a" ] && sum=\${rest%% *}
        fi
        if [ -n "$sum" ]; then c=1; else c=0; sum=$(sha256sum "$a"); sum=\${sum%% *}; fi
        printf 'file|%s|%s|%s|%s\\n' "\${info%|*}" "$sum" "$c" "$a"
      elif [ -d "$a" ]; then
        printf 'dir|%s|-|0|%s\\n' "$(stat -c '%a|%U|%G' "$a")" "$a"
      else
        printf 'none|-|-|-|-|0|%s\\n' "$a"
      fi ;;
    units)
      systemctl show -p Id,LoadState,ActiveState,SubState,MainPID,UnitFileState,NeedDaemonReload "$a.service" 2>/dev/null | tr '\\n' ' '
      echo ;;
    users)
      if getent passwd "$a" >/dev/null; then printf '%s|yes|%s\\n' "$a" "$(id -nG "$a" | tr ' ' ',')"; else printf '%s|no|\\n' "$a"; fi ;;
  esac
done
section pending
ls ${PENDING_DIR} 2>/dev/null || true
section done
`;

/** The state script's arguments: what to read. */
export function stateArgs(want: { paths: string[]; units: string[]; users: string[] }): string[] {
  return ["paths", ...want.paths, "units", ...want.units, "users", ...want.users];
}

/**
 * Records an installed binary's sha256 in SHA_CACHE (replacing its old line), for later runs, and prints it so
 * np can check that what landed on the host is what it verified.
 */
export const RECORD_SHA_SCRIPT = `set -e
mkdir -p "$(dirname "$2")"
sum=$(sha256sum "$1" | cut -d' ' -f1)
line="$(stat -c '%s:%.9Y:%i' "$1") $sum $1"
{ awk -v p="$1" '$3 != p' "$2" 2>/dev/null || true; printf '%s\\n' "$line"; } > "$2.tmp"
mv -f "$2.tmp" "$2"
printf '%s\\n' "$sum"`;

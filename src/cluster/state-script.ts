/** Where np keeps the checksums of the binaries it installed, keyed by size, mtime and inode. */
export const SHA_CACHE = "/var/lib/np/sha256-cache";

/**
 * Reads everything a host's convergence depends on in the same round trip as the preflight facts: for each path
 * given as an argument, its type, mode, owner, group and (for files) sha256; the state of np's units; the
 * consul system user; and restarts left pending by an interrupted run. Constant text; paths arrive as "$@".
 * Runs appended to FACTS_SCRIPT, whose `section` marks each section with the run's nonce.
 * A binary's sha256 comes from SHA_CACHE while its size, mtime and inode are unchanged (flag c=1): hashing a
 * 100 MB binary on every run would dominate a no-op `np up`.
 */
export const STATE_SCRIPT = `section paths
for p in "$@"; do
  if [ -f "$p" ]; then
    key=$(stat -c '%s:%.9Y:%i' "$p")
    sum=$(awk -v k="$key" -v p="$p" '$1 == k && $3 == p { print $2; exit }' ${SHA_CACHE} 2>/dev/null)
    if [ -n "$sum" ]; then c=1; else c=0; sum=$(sha256sum "$p" | cut -d' ' -f1); fi
    printf 'file|%s|%s|%s|%s\\n' "$(stat -c '%a|%U|%G' "$p")" "$sum" "$c" "$p"
  elif [ -d "$p" ]; then
    printf 'dir|%s|-|0|%s\\n' "$(stat -c '%a|%U|%G' "$p")" "$p"
  else
    printf 'none|-|-|-|-|0|%s\\n' "$p"
  fi
done
section units
for u in consul nomad; do
  systemctl show -p Id,LoadState,ActiveState,SubState,MainPID,UnitFileState,NeedDaemonReload "$u.service" 2>/dev/null | tr '\\n' ' '
  echo
done
section users
getent passwd consul || true
section pending
ls /var/lib/np/restart-pending 2>/dev/null || true
section done
`;

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

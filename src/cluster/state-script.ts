import { SCRIPT_NAME } from "../preflight/facts-script.js";

/** Where np keeps the checksums of the binaries it installed, keyed by size, mtime and inode. */
export const SHA_CACHE = "/var/lib/np/sha256-cache";

/** Where np records restarts it owes: a file per unit, removed once the unit restarted. */
export const PENDING_DIR = "/var/lib/np/restart-pending";

/**
 * Reads everything a host's convergence depends on, in the same round trip as the preflight facts: it is appended
 * to FACTS_SCRIPT, whose `section` function prints markers that carry the run's nonce (no file content printed
 * here can forge one). Its arguments (see stateArgs) are the user names, then the paths; the units are the facts
 * script's UNITS, whose properties that script's one `systemctl show` left in $np_shown. For each path: type,
 * mode, owner, group and (files) sha256; for each unit: systemd's properties; for each user: whether it exists and
 * its groups; and the restarts an interrupted run left pending. Constant text: values arrive only as arguments.
 * A binary's sha256 comes from SHA_CACHE while its size, mtime and inode are unchanged (flag c=1): hashing a
 * 100 MB binary on every run would dominate a no-op `np up`.
 */
export const STATE_SCRIPT = `
# Forks are what a no-op run pays for on every host: one stat for every path, one sha256sum for the files the
# cache does not know, one groups for the users; the rest is the shell's own reading and pattern matching.
users=$1; shift
cache=
if [ -r ${SHA_CACHE} ]; then
  while IFS= read -r l || [ -n "$l" ]; do cache="$cache$nl$l"; done <${SHA_CACHE}
fi
section paths
for a in "$@"; do [ -e "$a" ] || printf 'none|-|-|-|-|0|%s\\n' "$a"; done
info=
[ $# -gt 0 ] && info=$(stat -L -c '%F|%a|%U|%G|%s:%.9Y:%i|%n' -- "$@" 2>/dev/null)
# Files the cache does not know are hashed together after this pass: their lines wait in $unknown, their paths
# in "$@".
set --
unknown=
while IFS= read -r line; do
  [ -n "$line" ] || continue
  # kind|mode|owner|group|key|path (a path may hold "|": fields are counted from the left)
  kind=\${line%%|*}
  tail=\${line#*|*|*|*|}
  meta=\${line%"|$tail"}; meta=\${meta#*|}
  key=\${tail%%|*}
  a=\${tail#*|}
  case "$kind" in
    directory) printf 'dir|%s|-|0|%s\\n' "$meta" "$a" ;;
    regular*)
      sum=
      rest=\${cache#*"$nl$key "}
      if [ "$rest" != "$cache" ]; then
        p=\${rest#* }
        [ "\${p%%"$nl"*}" = "$a" ] && sum=\${rest%% *}
      fi
      if [ -n "$sum" ]; then
        printf 'file|%s|%s|1|%s\\n' "$meta" "$sum" "$a"
      else
        unknown="$unknown$meta|$a$nl"
        set -- "$@" "$a"
      fi ;;
    *) printf 'none|-|-|-|-|0|%s\\n' "$a" ;;
  esac
done <<NP_END
$info
NP_END
sums=
[ $# -gt 0 ] && sums="$nl$(sha256sum -- "$@" 2>/dev/null)$nl"
while IFS= read -r line; do
  [ -n "$line" ] || continue
  a=\${line#*|*|*|}
  sum=
  before=\${sums%%"  $a$nl"*}
  [ "$before" != "$sums" ] && sum=\${before##*"$nl"}
  printf 'file|%s|%s|0|%s\\n' "\${line%|"$a"}" "$sum" "$a"
done <<NP_END
$unknown
NP_END
section units
# One unit's properties per line, for the units asked about (the owners of listening ports share the output).
one=; want=
while IFS= read -r l; do
  if [ -z "$l" ]; then
    [ -n "$want" ] && [ -n "$one" ] && printf '%s\\n' "$one"
    one=; want=
  else
    case $l in
      FragmentPath=*) ;;
      Id=*) case " $np_units " in *" \${l#Id=} "*) want=1 ;; esac; one="$one $l" ;;
      *) one="$one $l" ;;
    esac
  fi
done <<NP_END
$np_shown

NP_END
section users
# One groups call for every user ("name : group group…" for each one that exists; a missing one only on stderr).
known=
[ -n "$users" ] && known=$(groups $users 2>/dev/null)
for u in $users; do
  found=; g=
  while IFS= read -r l; do
    case $l in "$u : "*) found=1; g=\${l#"$u : "}; break ;; esac
  done <<NP_END
$known
NP_END
  if [ -n "$found" ]; then
    r=; for w in $g; do r="$r\${r:+,}$w"; done
    printf '%s|yes|%s\\n' "$u" "$r"
  else
    printf '%s|no|\\n' "$u"
  fi
done
section pending
for f in ${PENDING_DIR}/*; do [ -e "$f" ] && printf '%s\\n' "\${f##*/}"; done
section done
`;

/** The state script's arguments: the users and paths to read (its units are the facts script's UNITS). */
export function stateArgs(want: { paths: string[]; users: string[] }): string[] {
  for (const n of want.users)
    if (!SCRIPT_NAME.test(n)) throw new Error(`not a user name np reads: ${JSON.stringify(n)}`);
  return [want.users.join(" "), ...want.paths];
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

/** Where np stages uploads, installs binaries and keeps data: preflight reads the free space of each. */
export const DISK_PATHS = ["/tmp", "/usr/local/bin", "/var/lib"] as const;
export type DiskPath = (typeof DISK_PATHS)[number];

/**
 * The one script that gathers a host's facts in a single round trip. It is constant text sent on stdin
 * (`sh -s -- NONCE …`): no value from the inventory is ever part of it. Sections start with a `--name NONCE`
 * line, NONCE being random per run ("$1"), so no file content the script prints (os-release, meminfo) can
 * forge a section; output before the first section (a noisy login shell) is ignored. The script shifts the
 * nonce away, so a script appended to it sees only its own arguments in "$@" and prints its sections with
 * `section NAME`.
 */
export const FACTS_SCRIPT = `NP_NONCE=$1; shift
LC_ALL=C; export LC_ALL
section() { echo "--$1 $NP_NONCE"; }
kv() { printf '%s=%s\\n' "$1" "$2"; }
section facts
# Forks are what every run pays for, on every host: builtins (read, parameter expansion) wherever they do.
# uname prints the kernel release before the machine, whatever the order of its flags.
set_uname() { kv kernel "$1"; kv arch "$2"; }
set_uname $(uname -r -m)
h=; read -r h </proc/sys/kernel/hostname 2>/dev/null; kv hostname "$h"
h=; [ -r /etc/machine-id ] && read -r h </etc/machine-id; kv machine_id "$h"
kv cpus "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
if [ -d /run/systemd/system ]; then kv systemd yes; else kv systemd no; fi
kv uid "$(id -u)"
kv time_ms "$(date +%s%3N)"
section disks
# Free space where np writes (a path not created yet counts as its nearest existing parent): path total free
# mount, from one df; printed only when df answered for every path (a missing line is then an unreadable fact,
# never another path's figures).
disks() {
  names="$*"
  set --
  for p in $names; do
    d=$p; while [ ! -e "$d" ]; do d=\${d%/*}; [ -n "$d" ] || d=/; done
    set -- "$@" "$d"
  done
  df -Pk "$@" 2>/dev/null | awk -v names="$names" 'BEGIN { n = split(names, p, " ") }
    NR > 1 { m = $6; for (i = 7; i <= NF; i++) m = m " " $i; out[NR - 1] = p[NR - 1] " " $2 " " $4 " " m }
    END { if (NR - 1 == n) for (i = 1; i <= n; i++) print out[i] }'
}
disks ${DISK_PATHS.join(" ")}
section meminfo
cat /proc/meminfo
section os-release
cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
if command -v ss >/dev/null 2>&1; then
  section ss
  listening=$(ss -Htulnp 2>/dev/null)
  printf '%s\\n' "$listening"
  # Which systemd unit owns each listening process, and the np component its unit file declares (np marks its
  # own units with X-Np-Component=): np's own services may hold np's ports, anyone else's may not.
  section owners
  # Each listening process's unit from its cgroup; then one systemctl call for those units' unit files.
  o_pairs=
  o_units=
  for pid in $(printf '%s\\n' "$listening" | grep -o 'pid=[0-9]*' | sort -u); do
    pid=\${pid#pid=}
    unit=
    if [ -r /proc/$pid/cgroup ]; then
      while IFS= read -r l; do
        case $l in */*.service) unit=\${l##*/}; break ;; esac
      done </proc/$pid/cgroup
    fi
    o_pairs="$o_pairs$pid $unit
"
    case " $o_units " in *" $unit "*) ;; *) o_units="$o_units $unit" ;; esac
  done
  o_marks=
  if [ -n "\${o_units# }" ]; then
    id=; frag=
    while IFS= read -r l; do
      case $l in
        Id=*) id=\${l#Id=} ;;
        FragmentPath=*) frag=\${l#FragmentPath=} ;;
        '')
          np=
          if [ -n "$frag" ] && [ -r "$frag" ]; then
            while IFS= read -r f; do
              case $f in X-Np-Component=*) np=\${f#X-Np-Component=}; break ;; esac
            done <"$frag"
            case $np in *[!a-z-]*) np= ;; esac
          fi
          o_marks="$o_marks $id=$np"
          id=; frag= ;;
      esac
    done <<NP_END
$(systemctl show -p Id,FragmentPath -- \${o_units# } 2>/dev/null)

NP_END
  fi
  while read -r pid unit; do
    [ -n "$pid" ] || continue
    np=
    case "$o_marks " in *" $unit="*) np=\${o_marks#*" $unit="}; np=\${np%% *} ;; esac
    [ -n "$unit" ] || np=
    printf '%s %s %s\\n' "$pid" "$unit" "$np"
  done <<NP_END
$o_pairs
NP_END
else
  section proc-net
  for f in tcp tcp6 udp udp6; do [ -r /proc/net/$f ] && sed 1d /proc/net/$f | sed "s/^/$f /"; done
fi
section end
`;

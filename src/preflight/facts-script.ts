/** Where np stages uploads, installs binaries and keeps data: preflight reads the free space of each. */
export const DISK_PATHS = ["/tmp", "/usr/local/bin", "/var/lib"] as const;
export type DiskPath = (typeof DISK_PATHS)[number];

/** Unit and user names travel as one word list each (split by the scripts): np's own names, checked here. */
export const SCRIPT_NAME = /^[a-z0-9][a-z0-9_.@-]*$/;

/**
 * The one script that gathers a host's facts in a single round trip. It is constant text sent on stdin
 * (`sh -s -- NONCE UNITS …`): no value from the inventory is ever part of it. Sections start with a `--name NONCE`
 * line, NONCE being random per run ("$1"), so no file content the script prints (os-release, meminfo) can
 * forge a section; output before the first section (a noisy login shell) is ignored. UNITS ("$2", service names
 * separated by spaces) are units a script appended to this one wants systemd's word on: the one `systemctl show`
 * that finds the listening processes' units shows them too, and leaves its output in $np_shown (Key=value lines,
 * a unit's block ending with an empty line). The script shifts both away, so a script appended to it sees only its
 * own arguments in "$@" and prints its sections with `section NAME`.
 */
export const FACTS_SCRIPT = `NP_NONCE=$1; np_units=$2; shift 2
LC_ALL=C; export LC_ALL
nl='
'
section() { echo "--$1 $NP_NONCE"; }
kv() { printf '%s=%s\\n' "$1" "$2"; }
# A fork and exec costs a host a few ms of CPU, and every run pays for each one on every host: the shell's own
# read, case and parameter expansion do what they can (the kernel's files answer most facts), and a command runs
# only where none of them can.
section facts
kernel=; arch=
read -r kernel 2>/dev/null </proc/sys/kernel/osrelease
read -r arch 2>/dev/null </proc/sys/kernel/arch
if [ -z "$kernel" ] || [ -z "$arch" ]; then
  # Before Linux 6.1 (no kernel.arch): uname prints the release before the machine, whatever the flags' order.
  set_uname() { kernel=$1; arch=$2; }
  set_uname $(uname -r -m)
fi
kv kernel "$kernel"
kv arch "$arch"
h=; read -r h 2>/dev/null </proc/sys/kernel/hostname; kv hostname "$h"
h=; [ -r /etc/machine-id ] && read -r h </etc/machine-id; kv machine_id "$h"
# The CPUs this shell may run on (what nproc counts) and its effective uid (what id -u prints), from its own
# status file: Cpus_allowed_list is ranges ("0-3,8"), Uid is real, effective, saved and filesystem uid.
cpus=; uid=
while IFS=' \t:' read -r k v e rest; do
  case $k in
    Uid) uid=$e ;;
    Cpus_allowed_list) cpus=$v ;;
  esac
done 2>/dev/null </proc/self/status
n=0
o_ifs=$IFS; IFS=,
for r in $cpus; do
  lo=\${r%-*}; hi=\${r#*-}
  case $lo$hi in ''|*[!0-9]*) n=0; break ;; esac
  n=$((n + hi - lo + 1))
done
IFS=$o_ifs
[ "$n" -gt 0 ] || n=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
kv cpus "$n"
if [ -d /run/systemd/system ]; then kv systemd yes; else kv systemd no; fi
case $uid in ''|*[!0-9]*) uid=$(id -u) ;; esac
kv uid "$uid"
kv time_ms "$(date +%s%3N)"
section disks
# Free space where np writes (a path not created yet counts as its nearest existing parent): path total free
# mount, from one df; printed only when df answered for every path, in order (a missing line is then an unreadable
# fact, never another path's figures).
disks() {
  names="$*"
  set --
  for p in $names; do
    d=$p; while [ ! -e "$d" ]; do d=\${d%/*}; [ -n "$d" ] || d=/; done
    set -- "$@" "$d"
  done
  out=$(df -Pk "$@" 2>/dev/null)
  set -- $names
  lines=; first=1
  while read -r fs total used free capacity mount; do
    [ -n "$first" ] && { first=; continue; }
    [ $# -gt 0 ] || return 0
    lines="$lines$1 $total $free $mount$nl"
    shift
  done <<NP_END
$out
NP_END
  [ $# -eq 0 ] && printf '%s' "$lines"
}
disks ${DISK_PATHS.join(" ")}
section meminfo
while IFS= read -r l; do printf '%s\\n' "$l"; done </proc/meminfo
section os-release
f=/etc/os-release; [ -r $f ] || f=/usr/lib/os-release
if [ -r $f ]; then while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done <$f; fi
# Which systemd unit owns each listening process (from its cgroup), and the np component its unit file declares
# (np marks its own units with X-Np-Component=): np's own services may hold np's ports, anyone else's may not.
o_pairs=
o_units=
have_ss=
if command -v ss >/dev/null 2>&1; then
  have_ss=1
  section ss
  listening=$(ss -Htulnp 2>/dev/null)
  printf '%s\\n' "$listening"
  pids=
  while IFS= read -r l; do
    while :; do
      case $l in *pid=[0-9]*) ;; *) break ;; esac
      l=\${l#*pid=}
      pid=\${l%%[!0-9]*}
      case " $pids " in *" $pid "*) ;; *) pids="$pids $pid" ;; esac
    done
  done <<NP_END
$listening
NP_END
  for pid in $pids; do
    unit=
    if [ -r /proc/$pid/cgroup ]; then
      while IFS= read -r l; do
        case $l in */*.service) unit=\${l##*/}; break ;; esac
      done </proc/$pid/cgroup
    fi
    o_pairs="$o_pairs$pid $unit$nl"
    case " $o_units " in *" $unit "*) ;; *) o_units="$o_units $unit" ;; esac
  done
else
  section proc-net
  for f in tcp tcp6 udp udp6; do [ -r /proc/net/$f ] && sed 1d /proc/net/$f | sed "s/^/$f /"; done
fi
# One systemctl for the owners' units and the units asked about.
show=$o_units
for u in $np_units; do case " $show " in *" $u "*) ;; *) show="$show $u" ;; esac; done
np_shown=
if [ -n "\${show# }" ]; then
  np_shown=$(systemctl show -p Id,FragmentPath,LoadState,ActiveState,SubState,MainPID,UnitFileState,NeedDaemonReload -- \${show# } 2>/dev/null)
fi
if [ -n "$have_ss" ]; then
  section owners
  o_marks=
  id=; frag=
  while IFS= read -r l; do
    case $l in
      Id=*) id=\${l#Id=} ;;
      FragmentPath=*) frag=\${l#FragmentPath=} ;;
      '')
        case " $o_units " in
          *" $id "*)
            np=
            if [ -n "$frag" ] && [ -r "$frag" ]; then
              while IFS= read -r f; do
                case $f in X-Np-Component=*) np=\${f#X-Np-Component=}; break ;; esac
              done <"$frag"
              case $np in *[!a-z-]*) np= ;; esac
            fi
            o_marks="$o_marks $id=$np" ;;
        esac
        id=; frag= ;;
    esac
  done <<NP_END
$np_shown

NP_END
  while read -r pid unit; do
    [ -n "$pid" ] || continue
    np=
    case "$o_marks " in *" $unit="*) np=\${o_marks#*" $unit="}; np=\${np%% *} ;; esac
    [ -n "$unit" ] || np=
    printf '%s %s %s\\n' "$pid" "$unit" "$np"
  done <<NP_END
$o_pairs
NP_END
fi
section end
`;

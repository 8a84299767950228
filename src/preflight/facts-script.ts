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
kv arch "$(uname -m)"
kv kernel "$(uname -r)"
kv hostname "$(head -n 1 /proc/sys/kernel/hostname 2>/dev/null)"
kv machine_id "$(head -n 1 /etc/machine-id 2>/dev/null)"
kv cpus "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
if [ -d /run/systemd/system ]; then kv systemd yes; else kv systemd no; fi
kv uid "$(id -u)"
kv time_ms "$(date +%s%3N)"
section disks
# Free space where np writes (a path not created yet counts as its nearest existing parent): path total free mount.
for p in ${DISK_PATHS.join(" ")}; do
  d=$p; while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  df -Pk "$d" 2>/dev/null | awk -v p="$p" 'NR == 2 { m = $6; for (i = 7; i <= NF; i++) m = m " " $i; print p, $2, $4, m }'
done
section meminfo
cat /proc/meminfo
section os-release
cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
if command -v ss >/dev/null 2>&1; then
  section ss
  ss -Htulnp 2>/dev/null
  # Which systemd unit owns each listening process, and the np component its unit file declares (np marks its
  # own units with X-Np-Component=): np's own services may hold np's ports, anyone else's may not.
  section owners
  for pid in $(ss -Htulnp 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
    unit=$(sed -n 's#.*/\\([^/]*\\.service\\)$#\\1#p' /proc/$pid/cgroup 2>/dev/null | head -n 1)
    np=
    if [ -n "$unit" ]; then
      f=$(systemctl show -p FragmentPath --value "$unit" 2>/dev/null)
      [ -n "$f" ] && np=$(sed -n 's/^X-Np-Component=\\([a-z-]*\\)$/\\1/p' "$f" 2>/dev/null | head -n 1)
    fi
    printf '%s %s %s\\n' "$pid" "$unit" "$np"
  done
else
  section proc-net
  for f in tcp tcp6 udp udp6; do [ -r /proc/net/$f ] && sed 1d /proc/net/$f | sed "s/^/$f /"; done
fi
section end
`;

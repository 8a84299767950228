/**
 * The one script that gathers a host's facts in a single round trip. It is constant text sent on stdin
 * (`sh -s`): no value from the inventory is ever part of it. Sections are separated by `--name` lines.
 */
export const FACTS_SCRIPT = `LC_ALL=C; export LC_ALL
kv() { printf '%s=%s\\n' "$1" "$2"; }
kv arch "$(uname -m)"
kv kernel "$(uname -r)"
kv hostname "$(cat /proc/sys/kernel/hostname 2>/dev/null)"
kv machine_id "$(cat /etc/machine-id 2>/dev/null)"
kv cpus "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
if [ -d /run/systemd/system ]; then kv systemd yes; else kv systemd no; fi
kv uid "$(id -u)"
kv time_ms "$(date +%s%3N)"
df -Pk /var/lib 2>/dev/null | awk 'NR==2 { print "disk_total_kb=" $2; print "disk_free_kb=" $4; print "disk_mount=" $6 }'
echo "--meminfo"
cat /proc/meminfo
echo "--os-release"
cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
if command -v ss >/dev/null 2>&1; then
  echo "--ss"
  ss -Htulnp 2>/dev/null
  # Which systemd unit owns each listening process: np's own services may hold np's ports.
  echo "--owners"
  for pid in $(ss -Htulnp 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
    printf '%s %s\\n' "$pid" "$(sed -n 's#.*/\\([^/]*\\.service\\)$#\\1#p' /proc/$pid/cgroup 2>/dev/null | head -n 1)"
  done
else
  echo "--proc-net"
  for f in tcp tcp6 udp udp6; do [ -r /proc/net/$f ] && sed 1d /proc/net/$f | sed "s/^/$f /"; done
fi
echo "--end"
`;

/**
 * Stops every other command running over the SSH connection this script runs on (Ctrl-C). Closing a channel
 * does not stop its command (sshd leaves a command without a terminal running), and sshd refuses SSH "signal"
 * requests for root sessions ("session signalling requires privilege separation"). What identifies np's
 * commands instead: sshd starts each channel's command as the leader of its own session, a child of the one sshd
 * process that serves this connection. So: walk up from this script to that sshd process, and send SIGTERM to
 * every process whose session leader is another child of it. Other connections (another np, an operator's
 * shell) have their own sshd process and are never touched. Constant text, no arguments; run as root.
 */
export const STOP_COMMANDS_SCRIPT = `cat /proc/[0-9]*/stat 2>/dev/null | awk -v me=$$ '
{
  pid = $1; comm = $0; sub(/^[0-9]+ \\(/, "", comm); sub(/\\) [^)]*$/, "", comm)
  rest = $0; sub(/.*\\) /, "", rest); split(rest, f, " ")
  name[pid] = comm; ppid[pid] = f[2]; sid[pid] = f[4]
}
END {
  conn = me
  while (conn > 1 && name[conn] !~ /^sshd/) conn = ppid[conn]
  if (conn <= 1) exit
  for (p in sid) { s = sid[p]; if (s != sid[me] && (s in ppid) && ppid[s] == conn) print p }
}' | while read -r p; do kill -TERM "$p" 2>/dev/null; done
exit 0`;

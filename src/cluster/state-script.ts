/**
 * Reads everything a host's convergence depends on in the same round trip as the preflight facts: for each path
 * given as an argument, its type, mode, owner, group and (for files) sha256; the state of np's units; the
 * consul system user; and restarts left pending by an interrupted run. Constant text; paths arrive as "$@".
 */
export const STATE_SCRIPT = `echo "--paths"
for p in "$@"; do
  if [ -f "$p" ]; then
    printf 'file|%s|%s\\n' "$(stat -c '%a|%U|%G' "$p")" "$(sha256sum "$p" | cut -d' ' -f1)|$p"
  elif [ -d "$p" ]; then
    printf 'dir|%s|-|%s\\n' "$(stat -c '%a|%U|%G' "$p")" "$p"
  else
    printf 'none|-|-|-|-|%s\\n' "$p"
  fi
done
echo "--units"
for u in consul nomad; do
  systemctl show -p Id,LoadState,ActiveState,SubState,MainPID,UnitFileState,NeedDaemonReload "$u.service" 2>/dev/null | tr '\\n' ' '
  echo
done
echo "--users"
getent passwd consul || true
echo "--pending"
ls /var/lib/np/restart-pending 2>/dev/null || true
echo "--done"
`;

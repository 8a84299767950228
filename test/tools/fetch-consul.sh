#!/usr/bin/env bash
# Test tooling: puts the real Consul 1.8.7 binary (Debian bullseye's `consul` package) at DEST/consul.
# Contract tests run it and end-to-end tests serve it from the local artifact mirror.
# Usage: test/tools/fetch-consul.sh [DEST]   (default /var/cache/np-test/consul-1.8.7)
set -euo pipefail
dest=${1:-/var/cache/np-test/consul-1.8.7}
if [ -x "$dest/consul" ] && "$dest/consul" version | grep -q '^Consul v1.8.7'; then
  echo "consul 1.8.7 already at $dest/consul"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial"
cat > "$work/parts/bullseye.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_opts=(-q -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root")
apt-get "${apt_opts[@]}" update >/dev/null
(cd "$work" && apt-get "${apt_opts[@]}" download consul >/dev/null)
dpkg-deb -x "$work"/consul_*.deb "$work/x"
mkdir -p "$dest"
install -m 0755 "$work/x/usr/bin/consul" "$dest/consul"
"$dest/consul" version | head -1

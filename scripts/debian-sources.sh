#!/usr/bin/env bash
# Give apt the source index of Debian bookworm (deb-src), which the real-world conformance suite
# (tests/realworld) reads: `apt-get source --download-only PKG=VERSION` brings a real Apache
# release with its upstream signature. Idempotent, and only where needed: nothing changes when apt
# already has bookworm's Sources index, or when the machine is not Debian bookworm (the suite then
# fails and says why).
set -euo pipefail

if [ ! -r /etc/os-release ] || ! grep -q '^VERSION_CODENAME=bookworm' /etc/os-release; then
  echo "debian-sources: not Debian bookworm; no deb-src entry added" >&2
  exit 0
fi
sources_listed() {
  apt-get indextargets --no-release-info --format '$(CREATED_BY) $(TARGET_OF) $(URI)' 2>/dev/null \
    | grep -q '^Sources deb-src .*bookworm'
}
sources_fetched() {
  local index
  index=$(apt-get indextargets --format '$(FILENAME)' 'Created-By: Sources' 2>/dev/null | head -n 1)
  [ -n "$index" ] && compgen -G "${index}*" >/dev/null
}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! sources_listed; then
  echo "debian-sources: adding a deb-src entry for bookworm"
  $sudo tee /etc/apt/sources.list.d/asf-release-deb-src.sources >/dev/null <<'SOURCES'
# Added by asf-release's scripts/debian-sources.sh: Debian's source packages, for the real-world
# conformance suite (real Apache releases with their upstream signatures).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
if ! sources_fetched; then
  echo "debian-sources: apt-get update (fetching the Sources index)"
  $sudo apt-get update -qq
fi

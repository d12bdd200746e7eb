#!/usr/bin/env bash
# Set up this machine for asf-release: the system tools it drives (Debian packages, installed only
# when missing; needs root or sudo for that), then a virtual environment in .venv with the tool and
# its test dependencies. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need git git
need gpg gnupg
need gpgconf gnupg
need svn subversion
need svnadmin subversion
need svnserve subversion
need svnmucc subversion
need dirmngr dirmngr
need sks sks  # the tests' keyserver (keys publish), on 127.0.0.1
need g++ g++
need bwrap bubblewrap  # isolates the build and tests of an RC (verify): adapters/isolation.py
need bzip2 bzip2  # package's .tar.bz2 and .tar.xz: git's tar through them (adapters/gitarchive.py)
need xz xz-utils
# the real servers an RC is listed by (httpd's mod_autoindex, mod_dav_svn): tests/test_real_httpd.py
command -v apache2 >/dev/null 2>&1 || [ -x /usr/sbin/apache2 ] || missing+=(apache2)
[ -e /usr/lib/apache2/modules/mod_dav_svn.so ] || missing+=(libapache2-mod-svn)
# container images: build (buildah), read and copy (skopeo), run (podman with runc), and a
# registry for the tests and the demo (docker-registry); no Docker daemon is needed
need buildah buildah
need skopeo skopeo
need podman podman
need runc runc
need docker-registry docker-registry
need python3 python3
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "setup: installing ${packages[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.asf-release-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,keyring]'
  touch "$stamp"
fi

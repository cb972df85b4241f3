#!/usr/bin/env bash
# Makes sure a Debian 12 machine has what building and testing libevent-rs needs, quietly and
# quickly when it does. As root it installs what is missing; otherwise it prints the apt-get
# command to run and fails. Called by `make test` before building (the build needs a C compiler
# for capi/) and by run-all.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# Compiler, linker, libc headers, make; upstream's headers and library for comparison and for the
# preload test; zlib for upstream's regress_zlib; python3 for check-dumpevents.py.
NEEDED_PACKAGES="gcc libc6-dev binutils make python3 libevent-dev zlib1g-dev pkg-config"
missing=()
for p in $NEEDED_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  install_cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    mkdir -p "$ROOT/target"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && $install_cmd -qq; } > "$ROOT/target/apt-install.log" 2>&1; then
      echo "install-deps: '$install_cmd' failed:"
      tail -20 "$ROOT/target/apt-install.log"
      exit 1
    fi
  else
    echo "install-deps: missing packages: ${missing[*]}. Install them with:"
    echo "  sudo apt-get update && sudo $install_cmd"
    exit 1
  fi
fi

# memcached: a real libevent program the preload test runs unchanged on our library. Optional: a
# service package can fail to install in odd containers, and then only that check is skipped.
if ! command -v memcached >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "install-deps: installing memcached (optional, for the LD_PRELOAD check)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -qq memcached \
      > "$ROOT/target/apt-install-memcached.log" 2>&1 ||
      echo "install-deps: memcached could not be installed; its LD_PRELOAD check will be skipped"
  else
    echo "install-deps: optional: sudo apt-get install memcached (for the LD_PRELOAD check)"
  fi
fi

# valgrind: only the memcheck mode needs it (UPSTREAM_VALGRIND=1, UNIT_VALGRIND=1), which
# `make test` does not run, so a failure to install it fails nothing.
if ! command -v valgrind >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "install-deps: installing valgrind (optional, for the memcheck mode)"
    mkdir -p "$ROOT/target"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -qq valgrind \
      > "$ROOT/target/apt-install-valgrind.log" 2>&1 ||
      echo "install-deps: valgrind could not be installed; the memcheck mode will not run"
  else
    echo "install-deps: optional: sudo apt-get install valgrind (for the memcheck mode)"
  fi
fi

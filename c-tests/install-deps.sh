#!/usr/bin/env bash
# Makes sure a Debian 12 machine has what building and testing libevent-rs needs, quietly and
# quickly when it does. As root it installs what is missing; otherwise it prints the apt-get
# command to run and fails. Called by `make test` before building (the build needs a C compiler
# for capi/) and by run-all.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# Compiler, linker, libc headers, make; upstream's headers and library for comparison and for the
# preload test; zlib for upstream's regress_zlib; python3 for check-dumpevents.py; iproute2's
# ip, which brings loopback up in the private network namespaces that networked tests run in;
# OpenSSL's headers and libraries for upstream's ssl tests, samples and the TLS benchmark, and its
# command-line tool for their certificates and the s_server peer (with upstream's OpenSSL
# library, libevent-openssl, which libevent-dev brings).
NEEDED_PACKAGES="gcc libc6-dev binutils make python3 libevent-dev zlib1g-dev pkg-config iproute2
  libssl-dev openssl"
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

# Optional packages: real programs the tests run unchanged on our library, and what building one
# of them needs. Service packages can fail to install in odd containers; then only the checks
# that need them are skipped (each says so).
#   optional <package> <command or file it provides> <what it is for>
optional() {
  local package=$1 provides=$2 purpose=$3
  if [ -e "$provides" ] || command -v "$provides" >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" -eq 0 ]; then
    echo "install-deps: installing $package (optional, for $purpose)"
    mkdir -p "$ROOT/target"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -qq "$package" \
      > "$ROOT/target/apt-install-$package.log" 2>&1 ||
      echo "install-deps: $package could not be installed; $purpose will be skipped"
  else
    echo "install-deps: optional: sudo apt-get install $package (for $purpose)"
  fi
}
optional memcached memcached "the LD_PRELOAD check"
optional tmux tmux "the real-program suite (c-tests/programs.sh)"
optional fstrm-bin fstrm_capture "the real-program suite (c-tests/programs.sh)"
optional valgrind valgrind "the memcheck mode (UPSTREAM_VALGRIND=1, UNIT_VALGRIND=1; not run by make test)"

#!/usr/bin/env bash
# Builds upstream's util regress group (test/regress_util.c) against upstream's headers with a
# small main of ours, links it with target/release/libevent_rs.so (or, with --system, with the
# system's libevent for comparison) and runs it. Extra arguments go to tinytest
# (e.g. "util/ipv6_parse", "--verbose", or ":" to list tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tree=$("$root/c-tests/fetch-upstream.sh")
out="$root/c-tests/build/util-regress"
mkdir -p "$out"
lib=(-L"$root/target/release" -Wl,-rpath,"$root/target/release" -levent_rs)
name=regress-util
if [ "${1:-}" = "--system" ]; then
  shift
  lib=(-levent_core)
  name=regress-util-system
fi
# Upstream's internal headers come from the tree; event-config.h is Debian's (libevent-dev),
# which is what the tree's configure would generate on this system.
cc -O1 -g -w -DHAVE_CONFIG_H \
  -I"$tree/test" -I"$tree" -I"$tree/include" -I"$tree/compat" \
  "$here/main.c" "$tree/test/regress_util.c" "$tree/test/tinytest.c" \
  "${lib[@]}" -o "$out/$name"
exec "$out/$name" "$@"

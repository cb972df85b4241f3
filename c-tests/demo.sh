#!/usr/bin/env bash
# `make demo`: builds c-tests/demo/demo.c against our headers (include/event2/, upstream's
# installed headers until ours exist), links it with the library under test and runs it.
# LIBEVENT_UNDER_TEST=system runs the same program on the system's libevent, for comparison.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_library

out="$BUILD/$MODE/demo"
mkdir -p "$out"
read -ra INCLUDES <<<"$(our_include_flags)"
read -ra LIBS <<<"$(lib_link_flags)"
if [ "$MODE" = rs ] && [ ${#INCLUDES[@]} -eq 0 ]; then
  echo "demo: note: include/event2/event.h does not exist yet, compiling against the system headers"
fi
echo "demo: compiling against $(headers_description), linking with the $MODE library"
gcc -O1 -g -Wall -Werror "${INCLUDES[@]}" "$CTESTS/demo/demo.c" -o "$out/demo" "${LIBS[@]}"
echo "demo: running $out/demo"
timeout -k 5 30 "$out/demo"

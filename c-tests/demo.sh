#!/usr/bin/env bash
# `make demo`: builds the programs in c-tests/demo/ against our headers (include/event2/,
# upstream's installed headers until ours exist), links them with the library under test and
# runs them:
#   demo.c   timers, a signal, a socketpair ping-pong and a cross-thread event_active();
#   echo.c   a buffered echo server and client (evconnlistener, bufferevents, watermarks, a read
#            timeout) over TCP on 127.0.0.1, in a private network namespace when we may make one.
# echo.c needs bufferevents: while the library does not export bufferevent_socket_new it is
# skipped with a message saying so.
# Last, on our library, an unmodified Debian program: tmux (its panes are bufferevents), started
# through the libevent-rs-run wrapper, with what it showed and the libevent files it mapped.
# LIBEVENT_UNDER_TEST=system runs the same programs on the system's libevent, for comparison.
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

echo
if [ "$MODE" = rs ] && ! nm -D --defined-only "$OUR_LIB" | grep -E ' T bufferevent_socket_new$' > /dev/null; then
  echo "demo: skipping the buffered echo server and client: $OUR_LIB does not export" \
    "bufferevent_socket_new yet (it arrives with bufferevents; LIBEVENT_UNDER_TEST=system shows it)"
  exit 0
fi
gcc -O1 -g -Wall -Werror "${INCLUDES[@]}" "$CTESTS/demo/echo.c" -o "$out/echo" "${LIBS[@]}"
echo "demo: running $out/echo"
if private_netns; then
  in_netns timeout -k 5 30 "$out/echo"
else
  echo "demo: (no private network namespace here: the echo runs on this machine's 127.0.0.1)"
  timeout -k 5 30 "$out/echo"
fi

[ "$MODE" = rs ] || exit 0
echo
wrapper="$LIB_DIR/libevent-rs-run"
if [ ! -x "$wrapper" ]; then
  echo "demo: $wrapper is missing: run 'make build' first" >&2
  exit 1
fi
echo "demo: running Debian's tmux, unmodified, through the wrapper:" \
  "$wrapper sh -c 'tmux new-session -d ...'"
rc=0
"$CTESTS/install/tmux_via_wrapper.sh" "$wrapper" "$LIB_DIR" | sed 's/^/demo:   /' || rc=$?
case $rc in
  0) echo "demo: tmux ran on libevent_rs.so, and no upstream libevent was loaded" ;;
  77) echo "demo: skipping tmux: it is not installed (apt-get install tmux)" ;;
  *) echo "demo: tmux through the wrapper failed" >&2; exit 1 ;;
esac

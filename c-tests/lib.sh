# Shared settings for the C harness scripts (sourced, not run).
#
# LIBEVENT_UNDER_TEST chooses the library the C programs are linked with:
#   rs      (default) our target/release/libevent_rs.so
#   system  Debian's libevent 2.1.12 (-levent -levent_pthreads), to validate the harness itself:
#           every check must pass against it before a failure against ours means anything.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CTESTS="$ROOT/c-tests"
BUILD="$CTESTS/build"
LIB_DIR="$ROOT/target/release"
OUR_LIB="$LIB_DIR/libevent_rs.so"
SYSTEM_LIB_DIR=/usr/lib/x86_64-linux-gnu
MODE=${LIBEVENT_UNDER_TEST:-rs}

case "$MODE" in
  rs | system) ;;
  *) echo "LIBEVENT_UNDER_TEST must be 'rs' or 'system', not '$MODE'" >&2; exit 2 ;;
esac

# Linker flags for a program using libevent (all of it: core, extra and pthreads).
# The rpath makes the programs load our library without LD_LIBRARY_PATH.
lib_link_flags() {
  if [ "$MODE" = system ]; then
    echo "-L$SYSTEM_LIB_DIR -levent -levent_pthreads -lpthread"
  else
    echo "-L$LIB_DIR -levent_rs -Wl,-rpath,$LIB_DIR -lpthread"
  fi
}

# Include flags for programs of ours: our own headers when they exist and we test our library,
# upstream's installed headers otherwise (the system library is always checked with its own).
our_include_flags() {
  if [ "$MODE" = rs ] && [ -f "$ROOT/include/event2/event.h" ]; then
    echo "-I$ROOT/include"
  fi
}

headers_description() {
  if [ -n "$(our_include_flags)" ]; then echo "our include/"; else echo "system /usr/include/event2"; fi
}

# Networked programs run in a private network namespace, where loopback is the only interface.
# private_netns sets NETNS to the unshare command that makes one here (unshare -n as root, else
# unshare -rn in a user namespace) and fails, with NETNS empty, when neither works;
# in_netns CMD... then runs CMD in a fresh one with loopback up.
NETNS_SCRIPT='ip link set lo up && exec "$@"'
private_netns() {
  NETNS=()
  local way
  for way in "unshare -n" "unshare -rn"; do
    if $way sh -c "$NETNS_SCRIPT" sh true 2>/dev/null; then
      read -ra NETNS <<<"$way"
      return 0
    fi
  done
  return 1
}
in_netns() {
  "${NETNS[@]}" sh -c "$NETNS_SCRIPT" sh "$@"
}

require_library() {
  if [ "$MODE" = rs ] && [ ! -f "$OUR_LIB" ]; then
    echo "$OUR_LIB is missing: run 'make build' first" >&2
    exit 2
  fi
}

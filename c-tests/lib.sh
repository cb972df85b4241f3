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

# The extra linker flags of a program that also uses bufferevent_ssl.h: OpenSSL itself, and with
# the system library upstream's separate libevent_openssl (ours has those functions built in).
lib_openssl_link_flags() {
  if [ "$MODE" = system ]; then
    echo "-L$SYSTEM_LIB_DIR -levent_openssl -lssl -lcrypto"
  else
    echo "-lssl -lcrypto"
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
# unshare -rn in a user namespace) and fails, with NETNS empty and NETNS_ERROR saying why, when
# neither works; in_netns CMD... then runs CMD in a fresh one with loopback up. unshare execs
# (it does not fork), so CMD keeps the PID of the in_netns process: a caller can signal it.
NETNS_SCRIPT='ip link set lo up && exec "$@"'
private_netns() {
  NETNS=()
  NETNS_ERROR=""
  local way err
  for way in "unshare -n" "unshare -rn"; do
    if err=$($way sh -c "$NETNS_SCRIPT" sh true 2>&1); then
      read -ra NETNS <<<"$way"
      return 0
    fi
    NETNS_ERROR+="${NETNS_ERROR:+; }'$way' failed: ${err:-no message}"
  done
  command -v ip > /dev/null ||
    NETNS_ERROR="'ip' is missing (apt-get install iproute2; c-tests/install-deps.sh does it as root); $NETNS_ERROR"
  return 1
}
# bash, not sh, in front of CMD: Debian's sh (dash) drops the functions a caller exported with
# export -f (BASH_FUNC_* variables), which upstream-suite.sh's workers need.
in_netns() {
  "${NETNS[@]}" bash -c "$NETNS_SCRIPT" bash "$@"
}

require_library() {
  if [ "$MODE" = rs ] && [ ! -f "$OUR_LIB" ]; then
    echo "$OUR_LIB is missing: run 'make build' first" >&2
    exit 2
  fi
}

# ---------------------------------------------------------------- memcheck mode
# UPSTREAM_VALGRIND=1 (upstream-suite.sh) and UNIT_VALGRIND=1 (unit-tests.sh) run every test
# program under valgrind's memcheck. An error valgrind reports fails the test, whatever the test
# itself concluded; the report goes into the test's log.
VALGRIND_SUPP="$CTESTS/valgrind.supp"
VALGRIND_SYSTEM_SUPP="$CTESTS/memcheck/system-libevent.supp"

# Reads a 0/1 switch; anything else is a typo that must not silently run the normal mode.
valgrind_switch() {
  case "${!1:-0}" in
    0 | 1) echo "${!1:-0}" ;;
    *) echo "$1 must be 0 or 1, not '${!1}'" >&2; return 2 ;;
  esac
}

require_valgrind() {
  if ! command -v valgrind > /dev/null; then
    echo "valgrind is not installed: apt-get install -y valgrind (c-tests/install-deps.sh installs it as root)" >&2
    exit 2
  fi
}

# valgrind's command line, one word per line, for one test; $1 is the log file pattern. %p gives
# every process its own report: regress forks each test (tinytest's "[forking]") and some tests
# fork again, and memcheck follows a fork by itself (no exec, so --trace-children is not needed).
# The markers delimit each error, which is how valgrind_collect counts them.
# Leaks count as errors when a block is definitely or indirectly lost (nothing points to it any
# more, or only other lost blocks do): that is a free the library forgot. Blocks still reachable
# at exit (the tests' globals, process-wide state) and "possibly lost" ones (only pointers into
# their middle) are not counted. Upstream's tests lose nothing against either library but in two
# tests' own leaks, suppressed in valgrind.supp (test-ratelim, bufferevent_pair_release_lock).
# Errors of Debian's libevent itself are suppressed only when it is the library under test.
valgrind_cmd() {
  printf '%s\n' valgrind --tool=memcheck -q --error-exitcode=99 --track-fds=no \
    --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --num-callers=30 --error-markers=VALGRIND-ERROR-BEGIN,VALGRIND-ERROR-END \
    --suppressions="$VALGRIND_SUPP" --log-file="$1"
  [ "$MODE" = rs ] || echo "--suppressions=$VALGRIND_SYSTEM_SUPP"
}

# Why a test's own verdict is not judged under valgrind (memcheck/not-judged.txt), or nothing.
VALGRIND_NOT_JUDGED="$CTESTS/memcheck/not-judged.txt"
not_judged_reason() {
  awk -v t="$1" '!/^[ \t]*(#|$)/ && $1 == t {sub(/^[^ \t]+[ \t]+/, ""); print; exit}' "$VALGRIND_NOT_JUDGED"
}

# Appends the reports "$1".<pid> of one test to its log $2 and removes them. Prints
# "<errors> <summary>": the number of errors, and for the first one its kind and where it happened.
# Anything valgrind wrote besides errors (warnings about a syscall argument, say) stays in the log
# but is not counted.
valgrind_collect() {
  local prefix=$1 log=$2 f errors=0
  shopt -s nullglob
  local reports=("$prefix".*)
  shopt -u nullglob
  for f in "${reports[@]}"; do
    [ "$f" != "$log" ] || continue
    if [ -s "$f" ]; then
      { echo "---- valgrind report of process ${f##*.}"; cat "$f"; } >> "$log"
    fi
    rm -f "$f"
  done
  errors=$(grep -c 'VALGRIND-ERROR-BEGIN' "$log" || true)
  if [ "$errors" -gt 0 ]; then
    # The line after the first marker is the kind; the first frame below it that is not an
    # allocator (valgrind's malloc, Rust's alloc and core) is where it happened.
    awk '/VALGRIND-ERROR-BEGIN/ {want = 1; next}
         want == 1 {sub(/^==[0-9]+== /, ""); kind = $0; want = 2; next}
         want == 2 && /   (at|by) 0x/ && !/vgpreload_|\(library\/(alloc|core|std)\// {
           sub(/^.*   (at|by) 0x[0-9A-Fa-f]+: /, ""); print kind " at " $0; exit }' "$log" |
      sed "s/^/$errors /"
  else
    echo 0
  fi
}

# Proves that valgrind is watching the library under test and that valgrind.supp hides nothing
# inside it: memcheck/canary.c makes the library read freed memory and branch on undefined bytes,
# and both must be reported inside the library's functions (event_get_fd, event_add). $1: build
# folder.
valgrind_selftest() {
  local dir=$1 out="$1/canary" log="$1/canary.log" inc libs
  read -ra inc <<<"$(our_include_flags)"
  read -ra libs <<<"$(lib_link_flags)"
  gcc -O1 -g -Wall -Werror "${inc[@]}" "$CTESTS/memcheck/canary.c" -o "$out" "${libs[@]}"
  local -a vg
  mapfile -t vg < <(valgrind_cmd "$log.%p")
  : > "$log"
  "${vg[@]}" "$out" > /dev/null 2>&1 || true
  valgrind_collect "$log" "$log" > /dev/null
  local missing=()
  grep -A1 'Invalid read of size' "$log" | grep -q 'at 0x[0-9A-Fa-f]*: event_get_fd ' ||
    missing+=("the read of a freed event in event_get_fd")
  grep -A3 'depends on uninitialised value' "$log" | grep -q ': event_add ' ||
    missing+=("the undefined timeout in event_add")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "memcheck self-test: valgrind did not report ${missing[0]}${missing[1]:+ nor ${missing[1]}} (see $log);" \
      "the suppressions hide errors of the library, or valgrind is not checking it" >&2
    return 1
  fi
  # The canary cannot catch an entry anchored only on what every test shares (main, tinytest's
  # runners) or on wildcards: each entry must name a specific function of its own.
  local broad
  broad=$(awk '/^{/ {name = ""; anchored = 0; next}
    name == "" {name = $0; next}
    /^[ \t]*fun:/ { f = $0; sub(/^[ \t]*fun:/, "", f)
      if (f !~ /[*?]/ && f !~ /^(main|tinytest_main|testcase_run_(one|bare_|forked_))$/) anchored = 1 }
    /^}/ && !anchored {print "  " FILENAME ": " name}' "$VALGRIND_SUPP" "$VALGRIND_SYSTEM_SUPP")
  if [ -n "$broad" ]; then
    printf 'memcheck self-test: these suppressions name no function of their own:\n%s\n' "$broad" >&2
    return 1
  fi
  echo "memcheck self-test: valgrind reports the canary's errors inside the $MODE library"
}

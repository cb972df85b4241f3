#!/usr/bin/env bash
# The one test command (`make test`, which .ci/run calls): every suite we have, in order,
#   1. cargo test --release                  the Rust unit and integration tests, in a private
#                                            network namespace
#   2. c-tests/abi/run.sh                    ABI checks (sizes, layouts, constants), when present
#   3. c-tests/unit-tests.sh                 our own C tests, c-tests/unit/*.c
#   4. c-tests/preload.sh                    unmodified system-linked program under LD_PRELOAD
#   5. c-tests/programs.sh                   real programs (upstream's samples, tmux) on the library,
#                                            once it has bufferevents (see LIBEVENT_RS_PROGRAMS below)
#   6. c-tests/install-test.sh               make install/uninstall into temporary prefixes,
#                                            pkg-config builds, the wrapper, make deb (and as
#                                            root dpkg -i/-r)
#   7. c-tests/upstream-suite.sh             upstream's regress and test-* programs, every loop
#                                            configuration of upstream's test.sh
# then a summary table. The very last line is "N passed, M failed, K skipped" over everything run;
# the exit status is 1 if anything failed.
#
# First it makes sure the machine has what the suites need (a fresh Debian 12 has not): as root
# it installs the missing packages, otherwise it prints the apt-get command and stops.
#
# LIBEVENT_UNDER_TEST=system runs the C suites against Debian's libevent instead of ours (to check
# the harness itself); cargo test is skipped then, since it does not involve the C library.
#
# LIBEVENT_RS_PROGRAMS: the real-program suite needs bufferevents, evbuffers and listeners. Unset,
# it runs when the library under test exports bufferevent_socket_new and is reported as skipped
# (with the reason) otherwise; 1 runs it regardless, 0 skips it regardless.
set -euo pipefail
# The whole script is one block, so bash parses all of it before running any: editing the file
# while a long run is in progress cannot change what that run executes.
{
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# ---------------------------------------------------------------- packages
if ! "$CTESTS/install-deps.sh"; then
  echo "0 passed, 1 failed"
  exit 1
fi
if [ "$MODE" = rs ] && ! command -v cargo > /dev/null; then
  echo "run-all: cargo is not installed (https://rustup.rs), cannot build or test the library"
  echo "0 passed, 1 failed"
  exit 1
fi

# ---------------------------------------------------------------- suites
log_dir="$BUILD/$MODE/logs"
mkdir -p "$log_dir"
names=() passes=() fails=() skips=() times=()

# record <name> <passed> <failed> <skipped> <seconds>
record() {
  names+=("$1"); passes+=("$2"); fails+=("$3"); skips+=("$4"); times+=("$5")
}

# Runs a suite script whose last "<label>: N passed, M failed[, K skipped]" line gives its counts.
# A suite that exits non-zero without reporting any failure (it crashed or could not build) counts
# as one failure, so it can never pass by dying early.
run_suite() {
  local name=$1 label=$2
  shift 2
  echo
  echo "==== $name"
  local log="$log_dir/${label}.log" rc=0 t0=$SECONDS
  "$@" 2>&1 | tee "$log" || rc=$?
  local counts
  counts=$(grep -E "^$label: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1 |
    sed -E 's/^[^:]*: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')
  local p=0 f=0 s=0
  [ -z "$counts" ] || read -r p f s <<<"$counts"
  s=${s:-0}
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "run-all: $name exited with status $rc without reporting a failure; counting it as one"
    f=1
  fi
  record "$name" "$p" "$f" "$s" $((SECONDS - t0))
}

# cargo test runs in a private network namespace (loopback only): tests open loopback sockets,
# and the resolver's must never reach the nameserver this machine's resolv.conf names. The
# build happens first, outside it, since cargo may have crates to fetch. Without a namespace
# the tests whose path names dns are not run, and each counts as a failure.
run_cargo_tests() {
  echo
  echo "==== cargo test --release"
  local log="$log_dir/cargo.log" rc=0 t0=$SECONDS
  local -a prefix=() filter=()
  if private_netns; then
    prefix=(in_netns)
  else
    filter=(-- --skip dns)
  fi
  { cargo test --release --no-run && "${prefix[@]}" cargo test --release "${filter[@]}"; } 2>&1 | tee "$log" || rc=$?
  # One "test result:" line per test binary and for the doc tests; ignored tests count as
  # skipped, and those filtered out for want of a namespace as failed.
  local counts
  counts=$(awk -v unrun="${#filter[@]}" '/^test result:/ {
      for (i = 1; i <= NF; i++) {
        if ($(i) ~ /^passed;?$/) p += $(i - 1)
        if ($(i) ~ /^failed;?$/) f += $(i - 1)
        if ($(i) ~ /^ignored;?$/) s += $(i - 1)
        if (unrun && $(i) == "filtered") f += $(i - 1)
      }
    } END {print p + 0, f + 0, s + 0}' "$log")
  local p f s
  read -r p f s <<<"$counts"
  if [ ${#filter[@]} -gt 0 ]; then
    echo "run-all: no private network namespace ($NETNS_ERROR): the cargo tests of dns were not run and count as failed; run as root, or where unshare -rn works"
  fi
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "run-all: cargo test exited with status $rc without a failing test (build error?); counting it as one"
    f=1
  fi
  record "cargo test" "$p" "$f" "$s" $((SECONDS - t0))
}

started=$SECONDS
if [ "$MODE" = rs ]; then
  run_cargo_tests
else
  echo "run-all: LIBEVENT_UNDER_TEST=system: skipping cargo test, checking the C harness on the system library"
fi
if [ -f "$CTESTS/abi/run.sh" ]; then
  run_suite "ABI checks" abi bash "$CTESTS/abi/run.sh"
fi
run_suite "our C tests" unit "$CTESTS/unit-tests.sh"
run_suite "LD_PRELOAD" preload "$CTESTS/preload.sh"
programs_gate=${LIBEVENT_RS_PROGRAMS:-auto}
# grep reads all of nm's output (no -q): under pipefail an early exit could fail nm with SIGPIPE.
if [ "$programs_gate" = auto ] && [ "$MODE" = rs ] &&
    ! nm -D --defined-only "$OUR_LIB" | grep -E ' T bufferevent_socket_new$' > /dev/null; then
  programs_gate="0: $OUR_LIB does not export bufferevent_socket_new yet"
fi
if [ "$programs_gate" = 0 ]; then
  programs_gate="0: LIBEVENT_RS_PROGRAMS=0"
fi
case $programs_gate in
  0:*)
    echo
    echo "==== real programs"
    echo "programs: skipped, ${programs_gate#0: } (LIBEVENT_RS_PROGRAMS=1 runs it anyway)"
    record "real programs" 0 0 1 0
    ;;
  *) run_suite "real programs" programs "$CTESTS/programs.sh" ;;
esac
run_suite "install" install "$CTESTS/install-test.sh"
run_suite "upstream suite" upstream "$CTESTS/upstream-suite.sh"

# ---------------------------------------------------------------- summary
echo
echo "==== summary ($MODE library, $((SECONDS - started)) s)"
printf '%-16s %8s %8s %8s %8s\n' suite passed failed skipped seconds
total_p=0 total_f=0 total_s=0
for i in "${!names[@]}"; do
  printf '%-16s %8d %8d %8d %8d\n' "${names[$i]}" "${passes[$i]}" "${fails[$i]}" "${skips[$i]}" "${times[$i]}"
  total_p=$((total_p + passes[i])); total_f=$((total_f + fails[i])); total_s=$((total_s + skips[i]))
done
echo "logs: $log_dir"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
exit
}

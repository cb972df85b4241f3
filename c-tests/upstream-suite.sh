#!/usr/bin/env bash
# Upstream libevent 2.1.12's own tests, run against the library under test.
#
# Builds upstream's test/regress and its test-* programs from Debian's source package (fetched by
# fetch-upstream.sh into c-tests/upstream/, git-ignored) with upstream's headers and configure
# output, links them with our library (or the system one: LIBEVENT_UNDER_TEST=system), and runs
# them under the loop configurations of upstream's test/test.sh.
#
# Every regress test runs as its own process under `timeout`, because our library may hang or
# crash: one bad test must not take the others with it. A timeout or a crash is a failure.
#
# Usage: c-tests/upstream-suite.sh [TEST-PATTERN...]
#   TEST-PATTERN   shell glob over regress test names and programs/<name>, e.g. 'main/*'
# Environment:
#   LIBEVENT_UNDER_TEST  rs (default) | system
#   UPSTREAM_CONFIGS     space-separated subset of the configurations below
#   UPSTREAM_JOBS        tests run in parallel (default 2)
#   UPSTREAM_TIMEOUT     seconds per test (default 30; upstream's slowest test needs 13;
#                        600 under valgrind)
#   UPSTREAM_BUDGET      seconds for the whole run; tests not started by then are failed as
#                        "not run" so that a library that hangs everywhere cannot stall CI
#                        (default 1200; 14400 under valgrind)
#   UPSTREAM_VALGRIND    1: run every test under valgrind's memcheck (valgrind_cmd in lib.sh); a
#                        memory error fails the test in any group, its report is in the test's
#                        log. Results go to build/<mode>-memcheck/. Too slow for `make test`.
# Last line of output: "upstream: N passed, M failed, K skipped". Exit status 1 if M > 0.
set -euo pipefail
# The whole script is one block, so bash parses all of it before running any: editing the file
# while a long run is in progress cannot change what that run executes.
{
source "$(dirname "$0")/lib.sh"
require_library
# sort and join below must agree on the order of symbol and test names.
export LC_ALL=C

# ---------------------------------------------------------------- what runs, and what is required
ALL_CONFIGS="epoll poll select changelist timerfd timerfd_changelist debug"
CONFIGS=${UPSTREAM_CONFIGS:-$ALL_CONFIGS}
JOBS=${UPSTREAM_JOBS:-2}
VALGRIND=$(valgrind_switch UPSTREAM_VALGRIND)
if [ "$VALGRIND" = 1 ]; then
  require_valgrind
  # memcheck runs code 20 to 50 times slower; tests that mostly wait are hardly slower.
  TEST_TIMEOUT=${UPSTREAM_TIMEOUT:-600}
  BUDGET=${UPSTREAM_BUDGET:-14400}
else
  TEST_TIMEOUT=${UPSTREAM_TIMEOUT:-30}
  BUDGET=${UPSTREAM_BUDGET:-1200}
fi
PATTERNS=("$@")

# The core of the event loop, evbuffer, bufferevents and listeners (all of libevent_core), and
# evdns: failures here fail `make test` unless listed in known-failures.txt. The other groups
# belong to later milestones; their failures are reported as "not yet required".
# Issue 10's groups (evhttp, evrpc, evtag) become required by this one line, set to
# "http rpc evtag" once they pass; UPSTREAM_REQUIRE="http rpc evtag" requires them for one run.
ISSUE10_GROUPS="http rpc evtag"
# Issue 11's group: the OpenSSL bufferevents (regress_ssl.c). Its tests that upstream fails only
# because of 2.1.12's bug with OpenSSL 3 are required to pass (better-than-upstream.txt).
ISSUE11_GROUPS="ssl"
REQUIRED_GROUPS="main signal heap et thread util finalize evbuffer listener bufferevent dns programs $ISSUE10_GROUPS $ISSUE11_GROUPS ${UPSTREAM_REQUIRE:-}"
REQUIRED_GROUPS=$(echo $REQUIRED_GROUPS)  # the blanks of empty additions collapsed
# test.sh's programs, in its order.
# After them, test-ratelim with each argument set of upstream's CMakeLists.txt (test.sh does not
# run it): a program test named test-ratelim__<set> runs the test-ratelim binary.
PROGRAMS="test-init test-eof test-closed test-weof test-time test-changelist test-fdleak test-dumpevents
  test-ratelim__group_lim test-ratelim__con_lim test-ratelim__group_con_lim test-ratelim__group_con_lim_drain"
NOT_YET_REQUIRED_PROGRAMS=""
# The binaries behind the program tests.
PROGRAM_BINARIES=$(printf '%s\n' $PROGRAMS | sed 's/__.*//' | awk '!seen[$0]++')
ratelim_args() {
  case "$1" in
    group_lim) echo "-g 30000 -n 30 -t 100 --check-grouplimit 1000 --check-stddev 100" ;;
    con_lim) echo "-c 1000 -n 30 -t 100 --check-connlimit 50 --check-stddev 50" ;;
    group_con_lim) echo "-c 1000 -g 30000 -n 30 -t 100 --check-grouplimit 1000 --check-connlimit 50 --check-stddev 50" ;;
    group_con_lim_drain) echo "-c 1000 -g 35000 -n 30 -t 100 -G 500 --check-grouplimit 1000 --check-connlimit 50 --check-stddev 50" ;;
    *) echo "unknown test-ratelim argument set '$1'" >&2; return 1 ;;
  esac
}

# Environment of each configuration, exactly as test.sh sets it: every backend is disabled with
# EVENT_NO<NAME>=yes except the one under test, plus the option the configuration is about.
config_env() {
  local keep=EPOLL extra=()
  case "$1" in
    epoll) ;;
    poll) keep=POLL ;;
    select) keep=SELECT ;;
    changelist) extra=(EVENT_EPOLL_USE_CHANGELIST=yes) ;;
    timerfd) extra=(EVENT_PRECISE_TIMER=1) ;;
    timerfd_changelist) extra=(EVENT_EPOLL_USE_CHANGELIST=yes EVENT_PRECISE_TIMER=1) ;;
    debug) extra=(EVENT_DEBUG_MODE=1) ;;
    *) echo "unknown configuration '$1'" >&2; return 1 ;;
  esac
  local b
  for b in EVPORT KQUEUE EPOLL DEVPOLL POLL SELECT WIN32; do
    [ "$b" = "$keep" ] || echo "EVENT_NO$b=yes"
  done
  [ ${#extra[@]} -eq 0 ] || printf '%s\n' "${extra[@]}"
}
for c in $CONFIGS; do config_env "$c" >/dev/null; done

# test.sh runs the test-* programs once per backend, and regress a second time with
# EVENT_DEBUG_MODE=1; it does not run the programs in debug mode, so neither do we.
config_runs_programs() { [ "$1" != debug ]; }

# ---------------------------------------------------------------- fetch and build
started=$(date +%s)
tree=$("$CTESTS/fetch-upstream.sh")
test_src="$tree/test"

# `make` would generate include/event2/event-config.h from config.h; we only need that header.
if [ ! -f "$tree/include/event2/event-config.h" ] || [ "$tree/config.h" -nt "$tree/include/event2/event-config.h" ]; then
  sed -f "$tree/make-event-config.sed" < "$tree/config.h" > "$tree/include/event2/event-config.h"
fi

obj_dir="$BUILD/obj"
# A memcheck run keeps its results apart, so it never overwrites those of a normal run.
out_dir="$BUILD/$MODE"
[ "$VALGRIND" = 0 ] || out_dir="$BUILD/$MODE-memcheck"
bin_dir="$out_dir/bin"
mkdir -p "$obj_dir" "$bin_dir"

# Upstream's headers and config only: the tree's include/ (with the configured event-config.h),
# the tree root for its internal headers (regress reads a few internal structs), compat/ and test/.
# The shared tree is configured without OpenSSL (fetch-upstream.sh; its samples' build does not
# need it), so the two macros `configure --enable-openssl` would add to config.h and
# event-config.h are defined here: they turn on regress_ssl.c's group in regress_main.c and the
# https_* tests of regress_http.c, as in upstream's own build with libssl-dev.
CFLAGS=(-O1 -g -w -DHAVE_CONFIG_H -DTINYTEST_LOCAL -DHAVE_OPENSSL=1 -DEVENT__HAVE_OPENSSL=1
        -I"$tree" -I"$tree/compat" -I"$tree/include" -I"$test_src")
if [ ! -f /usr/include/openssl/ssl.h ]; then
  echo "upstream: OpenSSL's headers are missing: apt-get install -y libssl-dev (c-tests/install-deps.sh installs it as root)" >&2
  exit 2
fi

# regress's sources as upstream's test/include.am lists them for Linux with pthreads and
# OpenSSL; regress_zlib only when zlib's header is there (upstream's ZLIB_REGRESS).
REGRESS_SOURCES="regress regress.gen regress_buffer regress_bufferevent regress_dns regress_et
  regress_finalize regress_http regress_listener regress_main regress_minheap regress_rpc
  regress_testutils regress_util tinytest regress_thread regress_ssl"
EXTRA_LIBS=(-lpthread -lm)
if [ -f /usr/include/zlib.h ]; then
  REGRESS_SOURCES+=" regress_zlib"
  EXTRA_LIBS+=(-lz)
fi

# Objects depend only on upstream's sources and headers, not on the library under test, so both
# modes share them and they are rebuilt only when a source is newer (the tree never changes
# once fetched, so this is enough).
# Objects made with other flags (before the OpenSSL macros, say) are stale too.
cflags_stamp="$obj_dir/cflags.txt"
if [ "$(cat "$cflags_stamp" 2>/dev/null)" != "${CFLAGS[*]}" ]; then
  rm -f "$obj_dir"/*.o
  printf '%s' "${CFLAGS[*]}" > "$cflags_stamp"
fi
compile_one() {
  local name=$1 src="$test_src/$1.c" obj="$obj_dir/$1.o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$tree/include/event2/event-config.h" -nt "$obj" ]; then
    gcc "${CFLAGS[@]}" -c "$src" -o "$obj.tmp" && mv "$obj.tmp" "$obj"
  fi
}
export -f compile_one
export test_src obj_dir tree
export CFLAGS_STR="${CFLAGS[*]}"
# Arrays cannot be exported; the workers rebuild CFLAGS from the string (no blanks in the paths).
# shellcheck disable=SC2016
printf '%s\n' $REGRESS_SOURCES $PROGRAM_BINARIES |
  xargs -P "$JOBS" -I{} bash -c 'read -ra CFLAGS <<<"$CFLAGS_STR"; compile_one "$1"' _ {}

# Our library must define every export of upstream's libraries, libevent_openssl's included (the
# 653 of expected/libevent-2.1.12-exports.tsv). Should a change drop one, the programs are still
# linked, with a stub for each missing symbol that names it and aborts, so that the tests which do
# not touch it still run and say what else broke; but every missing export then counts as a
# failure of the run, listed at the end: a stubbed symbol can never pass unnoticed.
link_extra=()
n_missing=0
rm -f "$out_dir"/missing_stubs.*
if [ "$MODE" = rs ]; then
  exports_tsv="$CTESTS/expected/libevent-2.1.12-exports.tsv"
  [ -f "$exports_tsv" ] || exports_tsv="$ROOT/../shared/abi/libevent-2.1.12-exports.tsv"
  nm -D --defined-only "$OUR_LIB" | awk '{print $3}' | sort -u > "$out_dir/exported.txt"
  awk -F'\t' '!/^#/ && NF == 3 {print $3 "\t" $2}' "$exports_tsv" | sort -u |
    join -t $'\t' -v 1 - "$out_dir/exported.txt" > "$out_dir/missing.tsv"
  n_missing=$(wc -l < "$out_dir/missing.tsv")
fi
if [ "$n_missing" -gt 0 ]; then
  stubs_c="$out_dir/missing_stubs.c"
  {
    echo "/* Generated by c-tests/upstream-suite.sh from the exports of libevent 2.1.12 minus"
    echo "   those of $(basename "$OUR_LIB"). Do not edit; regenerated on every run. */"
    echo "#include <stdio.h>"
    echo "#include <stdlib.h>"
    echo "static void not_implemented(const char *name)"
    echo "{ fprintf(stderr, \"libevent-rs: %s is not implemented yet\\n\", name); abort(); }"
    # Data objects: zeroed, larger and more aligned than any of libevent's exported objects.
    awk -F'\t' '$2 != "T" {printf "__attribute__((aligned(64))) unsigned char %s[256];\n", $1}' "$out_dir/missing.tsv"
    awk -F'\t' '$2 == "T" {printf "void %s(void) { not_implemented(\"%s\"); }\n", $1, $1}' "$out_dir/missing.tsv"
  } > "$stubs_c"
  gcc -O1 -g -w -c "$stubs_c" -o "$out_dir/missing_stubs.o"
  link_extra=("$out_dir/missing_stubs.o")
  echo "upstream: OUR LIBRARY LACKS $n_missing of libevent's exports; they are stubbed so the other tests can run, and the run will FAIL: $(cut -f1 "$out_dir/missing.tsv" | paste -sd' ' -)"
fi

# Linking is cheap; do it every run because the library's exports may change.
read -ra LIBS <<<"$(lib_link_flags) $(lib_openssl_link_flags)"
regress_objs=()
for s in $REGRESS_SOURCES; do regress_objs+=("$obj_dir/$s.o"); done
gcc -o "$bin_dir/regress" "${regress_objs[@]}" "${link_extra[@]}" "${LIBS[@]}" "${EXTRA_LIBS[@]}"
for p in $PROGRAM_BINARIES; do
  gcc -o "$bin_dir/$p" "$obj_dir/$p.o" "${link_extra[@]}" "${LIBS[@]}" "${EXTRA_LIBS[@]}"
done
# The list of tests is a property of the test sources, but regress's main() calls into the library
# before it lists anything; a copy linked with the system library lists them whatever state ours
# is in.
gcc -o "$obj_dir/regress-lister" "${regress_objs[@]}" -L"$SYSTEM_LIB_DIR" -levent -levent_pthreads \
  -levent_openssl -lssl -lcrypto "${EXTRA_LIBS[@]}"
if [ "$VALGRIND" = 1 ]; then
  valgrind_selftest "$out_dir"
fi
built=$(date +%s)
echo "upstream: built in $((built - started)) s against $MODE library ($(basename "$tree"))"

# ---------------------------------------------------------------- the queue of tests
# Tests upstream leaves off by default (marked "(Off by default)") are not run, as upstream does.
mapfile -t regress_tests < <("$obj_dir/regress-lister" --list-tests | awk '/^    [^ ]/ && !/Off by default/ {print $1}')
selected() {
  [ ${#PATTERNS[@]} -eq 0 ] && return 0
  local p
  for p in "${PATTERNS[@]}"; do
    # shellcheck disable=SC2053
    [[ $1 == $p ]] && return 0
  done
  return 1
}

results_dir="$out_dir/results"
raw_dir="$out_dir/raw"
rm -rf "$raw_dir"
mkdir -p "$results_dir" "$raw_dir"
queue="$out_dir/queue.txt"
: > "$queue"
for c in $CONFIGS; do
  mkdir -p "$raw_dir/$c"
  if config_runs_programs "$c"; then
    for p in $PROGRAMS; do selected "programs/$p" && echo "$c programs/$p" >> "$queue"; done
  fi
  for t in "${regress_tests[@]}"; do selected "$t" && echo "$c $t" >> "$queue"; done
done

# ---------------------------------------------------------------- the network namespace
# This machine's resolv.conf names a nameserver off loopback, and some tests resolve through
# it (the dns group: evdns_init and EVDNS_BASE_INITIALIZE_NAMESERVERS read resolv.conf). So the
# whole run, every group and every configuration, happens in one private network namespace
# where loopback is the only interface: a query sent to that nameserver fails at once with
# ENETUNREACH and never leaves the machine. One namespace for the run (not one per test) costs
# nothing measurable; every test binds its own ports on 127.0.0.1 as before.
# Without a namespace (not root and no user namespaces) the other groups still run, but the
# groups below are not run at all: each of their tests fails, saying why and what to run.
NETNS_ONLY_GROUPS="dns"
if private_netns; then
  NO_NETNS_REASON=""
  netns_note="in a private network namespace (loopback only)"
else
  NO_NETNS_REASON="no private network namespace ($NETNS_ERROR): run as root, or where unshare -rn works, so that the test can resolve nothing off loopback"
  netns_note="WITHOUT a private network namespace: tests of $NETNS_ONLY_GROUPS fail unrun"
  echo "upstream: $NO_NETNS_REASON"
fi

# ---------------------------------------------------------------- running one test
# Writes <raw>/<config>/<group>__<test>.res: "<status> <seconds> <detail>", and the test's output
# next to it in .log. Status: pass, skip (the test skipped itself), fail, timeout, crash, notrun,
# memcheck (valgrind reported memory errors, whatever the test concluded), nonetns (needs a
# private network namespace, and none could be made).
run_one() {
  local config=$1 test=$2
  local base="$raw_dir/$config/${test//\//__}"
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "notrun 0 time budget of the whole run exhausted" > "$base.res"
    return 0
  fi
  if [ -n "$NO_NETNS_REASON" ] && [[ " $NETNS_ONLY_GROUPS " == *" ${test%%/*} "* ]]; then
    echo "nonetns 0 not run: $NO_NETNS_REASON" > "$base.res"
    return 0
  fi
  local -a env_vars
  mapfile -t env_vars < <(config_env "$config")
  local t0 t1 rc=0
  t0=$(date +%s%N)
  # Under valgrind: memcheck in front of the program, and tinytest's own 30 s alarm off (the
  # timeout below is the only limit, so a slow test is reported as a timeout, not a failure).
  local -a cmd vg=() tinytest_opts=()
  if [ "$VALGRIND" = 1 ]; then
    mapfile -t vg < <(valgrind_cmd "$base.vg.%p")
    tinytest_opts=(--timeout 0)
  fi
  case "$test" in
    # test.sh checks the dump with check-dumpevents.py (written for any Python); valgrind watches
    # the program, not the checker.
    programs/test-dumpevents)
      cmd=(bash -o pipefail -c '"${@:3}" "$1/test-dumpevents" | python3 "$2/check-dumpevents.py"' _ "$bin_dir" "$test_src" "${vg[@]}") ;;
    programs/test-ratelim__*)
      read -ra rl_args <<<"$(ratelim_args "${test#programs/test-ratelim__}")"
      cmd=("${vg[@]}" "$bin_dir/test-ratelim" "${rl_args[@]}") ;;
    programs/*) cmd=("${vg[@]}" "$bin_dir/${test#programs/}") ;;
    *) cmd=("${vg[@]}" "$bin_dir/regress" "${tinytest_opts[@]}" "$test") ;;
  esac
  # The outer redirection sends bash's own "Aborted" / "Segmentation fault" notices to /dev/null
  # (the verdict records the crash); the test's output goes to its log.
  { env "${env_vars[@]}" timeout -k 5 "$timeout_s" "${cmd[@]}" > "$base.log" 2>&1 < /dev/null; } 2>/dev/null || rc=$?
  t1=$(date +%s%N)
  local secs status detail=""
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    status=timeout; detail="no result after ${timeout_s} s"
  elif [ $rc -gt 128 ]; then
    status=crash; detail="killed by signal $((rc - 128))"
  elif [ $rc -ne 0 ]; then
    status=fail
  elif [[ $test != programs/* ]] && grep -q 'SKIPPED' "$base.log"; then
    status=skip
  else
    status=pass
  fi
  # regress forks each test, so a crash there shows as a plain failure: name the cause if the
  # library told us (a stub of a function we do not export yet, usually).
  local missing vg_errors=0 vg_summary=""
  if [ "$VALGRIND" = 1 ]; then
    read -r vg_errors vg_summary < <(valgrind_collect "$base.vg" "$base.log")
  fi
  missing=$(grep -o -m1 'libevent-rs: [A-Za-z0-9_]* is not implemented yet' "$base.log" | awk '{print $2}' || true)
  if [ "$vg_errors" -gt 0 ]; then
    detail="$vg_errors valgrind errors, first: $vg_summary (exit status $rc, 99 is valgrind's)"
    status=memcheck
  elif [ -n "$missing" ] && [ "$status" != pass ]; then
    detail="not implemented: $missing"
  elif [ -z "$detail" ] && [ "$status" != pass ] && [ "$status" != skip ]; then
    # First line that looks like tinytest's failure report, for the results file.
    detail=$(grep -m1 -E 'FAIL|assert|Assert|error|Error' "$base.log" | tr -s ' \t' ' ' | cut -c1-160 || true)
  fi
  echo "$status $secs $detail" > "$base.res"
}
deadline=$(( $(date +%s) + BUDGET ))
timeout_s=$TEST_TIMEOUT
export -f run_one config_env ratelim_args valgrind_cmd valgrind_collect
export raw_dir bin_dir test_src deadline timeout_s VALGRIND VALGRIND_SUPP VALGRIND_SYSTEM_SUPP MODE
export NETNS_ONLY_GROUPS NO_NETNS_REASON

total_jobs=$(wc -l < "$queue")
echo "upstream: running $total_jobs tests (configurations: $CONFIGS; $JOBS in parallel, ${TEST_TIMEOUT} s timeout each$([ "$VALGRIND" = 0 ] || echo "; under valgrind memcheck"); $netns_note)"
# In the namespace: unshare, then bash, exec in turn in the background job's own process, which
# ends up being xargs, so $! is xargs for the trap below. This is in_netns's command written out:
# calling the function in the background would leave a subshell between $! and xargs.
runner=()
[ -n "$NO_NETNS_REASON" ] || runner=("${NETNS[@]}" bash -c "$NETNS_SCRIPT" bash)
# shellcheck disable=SC2016
"${runner[@]}" xargs -P "$JOBS" -L 1 bash -c 'run_one "$1" "$2"' _ < "$queue" &
xargs_pid=$!
# A background job ignores Ctrl-C, so pass an interruption on (running tests end by their timeout).
trap 'kill "$xargs_pid" 2>/dev/null; exit 130' INT TERM
# A progress line each minute while the tests run, so a long run in CI is visibly alive.
waited=0
while kill -0 "$xargs_pid" 2>/dev/null; do
  sleep 1
  waited=$((waited + 1))
  if [ $((waited % 60)) -eq 0 ]; then
    echo "upstream: $(find "$raw_dir" -name '*.res' | wc -l) of $total_jobs tests done"
  fi
done
# Every test records its own verdict; a worker that died anyway shows up as a lost result below.
wait "$xargs_pid" || true
trap - INT TERM
finished=$(date +%s)

# ---------------------------------------------------------------- judging the results
expected_run="$CTESTS/expected/regress-2.1.12-upstream-run.txt"
[ -f "$expected_run" ] || expected_run="$ROOT/../shared/abi/regress-2.1.12-upstream-run.txt"
known_failures="$CTESTS/known-failures.txt"
# Tests of 2.1.12 that assert behaviour its security fixes changed: both Debian's patched
# library and ours must fail them, at exactly the assertions listed (security-changed.txt).
security_changed="$CTESTS/security-changed.txt"
# Tests upstream fails because of a bug of 2.1.12 that ours must not have: required to pass.
better_than_upstream="$CTESTS/better-than-upstream.txt"

# One line per test run: config, test, status, seconds, detail.
all_results="$out_dir/all-results.tsv"
while read -r c t; do
  res="$raw_dir/$c/${t//\//__}.res"
  status=crash secs=0 detail="the harness lost this test's result"
  [ ! -f "$res" ] || read -r status secs detail < "$res" || true
  printf '%s\t%s\t%s\t%s\t%s\n' "$c" "$t" "$status" "$secs" "${detail:-}"
done < "$queue" > "$all_results"

# The assertions each failing security-changed test failed at ("regress_http.c:2409,..."), from
# tinytest's "FAIL <path>:<line>:" lines, for the verdict below.
sc_observed="$out_dir/security-changed-observed.tsv"
awk '!/^[ \t]*(#|$)/ {print $1}' "$security_changed" | sort -u > "$out_dir/security-changed-tests.txt"
awk -F'\t' 'NR == FNR {listed[$1] = 1; next} ($2 in listed) && $3 == "fail" {print $1 "\t" $2}' \
    "$out_dir/security-changed-tests.txt" "$all_results" |
  while IFS=$'\t' read -r c t; do
    failed_at=$(grep -oE '^ *FAIL [^ :]+:[0-9]+:' "$raw_dir/$c/${t//\//__}.log" |
      sed -E 's|^ *FAIL ([^ :]*/)?([^/ :]+:[0-9]+):$|\2|' | sort -u | paste -sd, - || true)
    printf '%s\t%s\t%s\n' "$c" "$t" "$failed_at"
  done > "$sc_observed"

# What upstream's library passes, per configuration: the reference results recorded by running
# this suite against the system library (LIBEVENT_UNDER_TEST=system writes them to
# build/system/reference.tsv; copy that file over expected/ when the suite's configurations
# change). Without it: upstream's own regress run, for every configuration, and all programs.
reference="$CTESTS/expected/upstream-suite-on-system-libevent.tsv"
upstream_passes="$out_dir/upstream-passes.tsv"
if [ -f "$reference" ]; then
  awk -F'\t' '!/^#/ && $3 == "pass" {print $1 "\t" $2}' "$reference"
else
  for c in $CONFIGS; do
    awk -F': ' -v c="$c" '$2 ~ /OK$/ {print c "\t" $1}' "$expected_run"
    for p in $PROGRAMS; do printf '%s\tprograms/%s\n' "$c" "$p"; done
  done
fi > "$upstream_passes"

# The verdict, per test run, in awk because it is a join of a few small tables:
#   pass of a test in security-changed.txt    -> failed (it has 2.1.12's unfixed behaviour);
#                                                in a group not required yet, not yet required
#   pass                                      -> passed
#   any other end of a test in better-than-upstream.txt, on our library -> failed, in every
#                                                group (upstream fails it for a bug of its own;
#                                                the reference does not excuse ours)
#   skip (the test skipped itself)            -> skipped
#   memory error reported by valgrind         -> failed in every group (known failures aside)
#   not run for want of a network namespace   -> failed in every group
#   failure (not a hang or crash) under valgrind of a test listed in memcheck/not-judged.txt
#   (valgrind changes what it tests)          -> skipped, "not judged under valgrind"
#   failure of a test in security-changed.txt at exactly the assertions listed there
#                                             -> skipped, "security-changed" (in every group)
#   failure in a group not required yet       -> skipped, "not yet required"
#   any other end of a test in security-changed.txt -> failed (judged before the reference,
#                                                which fails it too)
#   failure of a test upstream does not pass  -> skipped, "upstream does not pass it either"
#   failure listed in known-failures.txt      -> skipped, "known failure" (reported loudly)
#   any other failure                         -> failed
verdicts="$out_dir/verdicts.tsv"
not_judged=/dev/null
[ "$VALGRIND" = 0 ] || not_judged=$VALGRIND_NOT_JUDGED
awk -F'\t' -v required="$REQUIRED_GROUPS" -v nyr_programs="$NOT_YET_REQUIRED_PROGRAMS" \
    -v kf_file="$known_failures" -v up_file="$upstream_passes" -v kf_report="$out_dir/known-failures-report.txt" \
    -v nj_file="$not_judged" -v sc_file="$security_changed" -v sc_seen_file="$sc_observed" \
    -v better_file="$better_than_upstream" -v mode="$MODE" '
  # Same members, whatever the order: two comma-separated lists of assertions.
  function same_set(a, b,   x, y, n, m, i, in_b) {
    n = split(a, x, ","); m = split(b, y, ",")
    if (n != m || n == 0) return 0
    for (i = 1; i <= m; i++) in_b[y[i]] = 1
    for (i = 1; i <= n; i++) if (!(x[i] in in_b)) return 0
    return 1
  }
  BEGIN {
    while ((getline line < sc_file) > 0) {
      if (line ~ /^[ \t]*(#|$)/) continue
      split(line, f, /[ \t]+/)
      reason = line; sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]*/, "", reason)
      sc_advisory[f[1]] = f[2]; sc_at[f[1]] = f[3]; sc_why[f[1]] = f[2] ": " reason
    }
    while ((getline line < sc_seen_file) > 0) { split(line, f, "\t"); sc_seen[f[1] SUBSEP f[2]] = f[3] }
    while ((getline line < better_file) > 0) {
      if (line ~ /^[ \t]*(#|$)/) continue
      split(line, f, /[ \t]+/); better[f[1]] = f[2]
    }
    while ((getline line < nj_file) > 0) {
      if (line ~ /^[ \t]*(#|$)/) continue
      split(line, f, /[ \t]+/); reason = line; sub(/^[^ \t]+[ \t]+/, "", reason); nj[f[1]] = reason
    }
    n = split(required, r, " "); for (i = 1; i <= n; i++) req[r[i]] = 1
    n = split(nyr_programs, r, " "); for (i = 1; i <= n; i++) nyr["programs/" r[i]] = 1
    while ((getline line < up_file) > 0) { split(line, f, "\t"); upstream_ok[f[1] SUBSEP f[2]] = 1 }
    while ((getline line < kf_file) > 0) {
      if (line ~ /^[ \t]*(#|$)/) continue
      split(line, f, /[ \t]+/)
      reason = line; sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]*/, "", reason)
      kf[f[1] SUBSEP f[2]] = reason; kf_order[++nkf] = f[1] SUBSEP f[2]; kf_line[nkf] = line
    }
  }
  {
    config = $1; test = $2; status = $3; detail = $5
    group = test; sub(/\/.*/, "", group)
    key = (config SUBSEP test) in kf ? config SUBSEP test : (("*" SUBSEP test) in kf ? "*" SUBSEP test : "")
    if (key != "") { kf_seen[key]++; if (status == "pass") kf_passed[key]++ }
    if (status == "pass" && (test in sc_at)) {
      verdict = (group in req) ? "failed" : "not-yet-required"
      detail = "passed: it asserts the behaviour " sc_advisory[test] " changed (security-changed.txt)"
    }
    else if (status == "pass") verdict = "passed"
    else if ((test in better) && mode == "rs") {
      verdict = "failed"
      detail = "better-than-upstream.txt (" better[test] ") requires it to pass: " status (detail != "" ? ", " detail : "")
    }
    else if (status == "skip") verdict = "skipped"
    else if (status == "memcheck") verdict = (key != "") ? "known-failure" : "failed"
    else if (status == "nonetns") verdict = "failed"
    else if (status == "fail" && (test in nj)) verdict = "not-judged"
    else if ((test in sc_at) && status == "fail" && same_set(sc_seen[config SUBSEP test], sc_at[test]))
      verdict = "security-changed"
    else if (!(group in req) || (test in nyr)) verdict = "not-yet-required"
    else if (test in sc_at) {
      verdict = "failed"
      at = sc_seen[config SUBSEP test]
      detail = "security-changed.txt expects a failure at " sc_at[test] " only, not: " status \
        (at != "" ? " at " at : "") (detail != "" ? ", " detail : "")
    }
    else if (!((config SUBSEP test) in upstream_ok)) verdict = "upstream-fails-too"
    else if (key != "") verdict = "known-failure"
    else verdict = "failed"
    # The last column: why a failure is excused (known-failures.txt, not-judged.txt or
    # security-changed.txt).
    note = verdict == "not-judged" ? nj[test] : (verdict == "security-changed" ? sc_why[test] : (key != "" ? kf[key] : ""))
    print config "\t" group "\t" test "\t" status "\t" verdict "\t" detail "\t" note
  }
  END {
    for (i = 1; i <= nkf; i++) {
      k = kf_order[i]
      if (kf_seen[k] > 0 && kf_passed[k] == kf_seen[k])
        print "now passing, remove from known-failures: " kf_line[i] > kf_report
    }
    close(kf_report)
  }' "$all_results" > "$verdicts"

# Against the system library, these results are the reference for judging ours (see above).
if [ "$MODE" = system ]; then
  version=$(dpkg-query -W -f='${Version}' libevent-2.1-7 2>/dev/null || echo "version unknown")
  { echo "# config<TAB>test<TAB>status of upstream's tests against Debian's libevent $version (c-tests/upstream-suite.sh)"
    cut -f1-3 "$all_results" | sort; } > "$out_dir/reference.tsv"
fi

# Failing tests of each configuration, with why they failed and how they are counted.
for c in $CONFIGS; do
  awk -F'\t' -v c="$c" '$1 == c && $5 != "passed" && $5 != "skipped" {printf "%-20s %-50s %-8s %s\n", $5, $3, $4, $6}' \
    "$verdicts" | sort > "$results_dir/$c.txt"
done

# ---------------------------------------------------------------- report
echo
echo "upstream suite against the $MODE library: passed/failed/skipped per group and configuration"
echo "(failed counts only required-group tests that upstream passes; see $results_dir/<config>.txt)"
awk -F'\t' -v configs="$CONFIGS" '
  {
    g[$2] = 1
    cell = $1 SUBSEP $2
    ran[cell] = 1
    if ($5 == "passed") p[cell]++; else if ($5 == "failed") f[cell]++; else s[cell]++
  }
  END {
    nc = split(configs, cs, " ")
    printf "%-12s", "group"; for (i = 1; i <= nc; i++) printf " %14s", cs[i]; printf "\n"
    ng = 0; for (k in g) names[++ng] = k
    for (i = 1; i <= ng; i++) for (j = i + 1; j <= ng; j++) if (names[j] < names[i]) { t = names[i]; names[i] = names[j]; names[j] = t }
    for (i = 1; i <= ng; i++) {
      printf "%-12s", names[i]
      for (j = 1; j <= nc; j++) {
        cell = cs[j] SUBSEP names[i]
        # "-": nothing of this group runs in this configuration (programs in debug mode).
        printf " %14s", (cell in ran) ? (p[cell] + 0) "/" (f[cell] + 0) "/" (s[cell] + 0) : "-"
      }
      printf "\n"
    }
  }' "$verdicts"

count() { awk -F'\t' -v v="$1" '$5 == v' "$verdicts" | wc -l; }
n_pass=$(count passed); n_fail=$(count failed); n_skip_self=$(count skipped)
n_nyr=$(count not-yet-required); n_known=$(count known-failure); n_upstream=$(count upstream-fails-too)
n_not_judged=$(count not-judged); n_security=$(count security-changed)
n_skip=$((n_skip_self + n_nyr + n_known + n_upstream + n_not_judged + n_security))

echo
echo "skipped by the tests themselves: $n_skip_self"
echo "not yet required (failures outside the required groups: $REQUIRED_GROUPS): $n_nyr"
if [ "$n_upstream" -gt 0 ]; then
  echo "failing, but upstream does not pass them either (it skips or fails them in that configuration): $n_upstream"
  awk -F'\t' '$5 == "upstream-fails-too" && ++n <= 40 {print "  " $1 " " $3}' "$verdicts"
fi
if [ "$n_not_judged" -gt 0 ]; then
  echo "failing under valgrind, not judged there (memcheck/not-judged.txt; no memory errors): $n_not_judged"
  awk -F'\t' '$5 == "not-judged" {printf "  %-18s %-40s %s\n", $1, $3, $7}' "$verdicts"
fi
if [ "$n_security" -gt 0 ]; then
  echo "asserting 2.1.12 behaviour that security fixes changed, failing where they must (security-changed.txt, counted as skipped): $n_security"
  awk -F'\t' '$5 == "security-changed" {printf "  %-18s %-40s %s\n", $1, $3, $7}' "$verdicts"
fi
if [ "$n_known" -gt 0 ]; then
  echo "KNOWN FAILURES (c-tests/known-failures.txt, counted as skipped, must shrink): $n_known"
  awk -F'\t' '$5 == "known-failure" {printf "  %-18s %-50s %-8s %s\n", $1, $3, $4, $7}' "$verdicts"
fi
if [ -s "$out_dir/known-failures-report.txt" ]; then
  echo "KNOWN FAILURES NOW PASSING:"
  sed 's/^/  /' "$out_dir/known-failures-report.txt"
fi
n_better=$(awk '!/^[ \t]*(#|$)/' "$better_than_upstream" | wc -l)
n_better_passed=$(awk -F'\t' 'NR == FNR { if (!/^[ \t]*(#|$)/) { split($0, f, /[ \t]+/); b[f[1]] = 1 }; next }
  ($3 in b) && $5 == "passed"' "$better_than_upstream" "$verdicts" | wc -l)
[ "$MODE" = system ] ||
  echo "passing where upstream fails for a bug of 2.1.12 (better-than-upstream.txt, $n_better tests, required): $n_better_passed test runs"
if [ "$n_missing" -gt 0 ]; then
  echo "FAILED: our library lacks $n_missing of upstream's exports (stubbed so the other tests could run; each counts as a failure):"
  awk -F'\t' '{printf "  %s (%s)\n", $1, $2 == "T" ? "function" : "data"}' "$out_dir/missing.tsv"
  n_fail=$((n_fail + n_missing))
fi
n_failed_tests=$((n_fail - n_missing))
if [ "$n_failed_tests" -gt 0 ]; then
  echo "FAILED (required groups, upstream passes them; in any group: memory errors, tests of better-than-upstream.txt, and tests that need a network namespace where none could be made): $n_failed_tests"
  # (awk stops by itself: "| head" would kill it with SIGPIPE, which pipefail turns into an exit.)
  awk -F'\t' '$5 == "failed" && ++n <= 40 {printf "  %-18s %-50s %-8s %s\n", $1, $3, $4, $6}' "$verdicts"
  [ "$n_failed_tests" -le 40 ] || echo "  ... and $((n_failed_tests - 40)) more in $results_dir/"
fi
# What blocks the most tests: the unimplemented functions the failing tests ran into.
if grep -q $'\tnot implemented: ' "$verdicts"; then
  echo "unimplemented functions hit by failing tests (test runs per function, top 15):"
  awk -F'\t' '$6 ~ /^not implemented: / {sub(/^not implemented: /, "", $6); n[$6]++}
    END {for (k in n) printf "%6d  %s\n", n[k], k}' "$verdicts" | sort -rn | awk 'NR <= 15'
fi
n_notrun=$(awk -F'\t' '$4 == "notrun"' "$verdicts" | wc -l)
[ "$n_notrun" -eq 0 ] || echo "NOT RUN: $n_notrun tests, the time budget of ${BUDGET} s ran out"
echo "upstream: build $((built - started)) s, tests $((finished - built)) s, total $((finished - started)) s"
echo "upstream: $n_pass passed, $n_fail failed, $n_skip skipped"
[ "$n_fail" -eq 0 ]
exit
}

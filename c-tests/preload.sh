#!/usr/bin/env bash
# The third way in: an unmodified program built against the system's libevent runs on our library
# through LD_PRELOAD, or through our compatibility libraries (libevent-2.1.so.7, ... made by
# `make build`, each leading the dynamic linker to libevent_rs.so) on LD_LIBRARY_PATH.
#
# The program (preload/which_lib.c) is compiled with the system headers and linked with the system
# libraries, twice: with -levent (libevent-2.1.so.7, what most programs use) and with the split
# -levent_core -levent_extra. It reports which shared object serves its libevent functions and
# runs a timer through a loop. Each check passes only if the expected object serves every
# function and the program works.
#
# With LIBEVENT_UNDER_TEST=system the "library under test" is the system's own, which checks the
# checks: preloading it changes nothing and must work.
# Last line of output: "preload: N passed, M failed". Exit status 1 if M > 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_library

system_lib=$(realpath "$SYSTEM_LIB_DIR/libevent-2.1.so.7")
# expect: what every "served by" line must name ("system": any of the system's libevent files).
if [ "$MODE" = system ]; then
  under_test=$system_lib
  expect=system
  compat_dir=$SYSTEM_LIB_DIR
else
  under_test=$(realpath "$OUR_LIB")
  expect=$under_test
  compat_dir=$LIB_DIR
fi
out="$BUILD/$MODE/preload"
mkdir -p "$out"

# -fPIE -pie: the program takes the functions' addresses through the GOT, so dladdr sees the
# object that really serves them rather than a PLT slot inside the program.
build() {
  gcc -O1 -g -Wall -fPIE -pie "$CTESTS/preload/which_lib.c" -o "$out/$1" -L"$SYSTEM_LIB_DIR" "${@:2}"
}
build which_lib_event -levent -levent_pthreads
build which_lib_split -levent_core -levent_extra -levent_pthreads

passed=0
failed=0
# check <description> <expected object, or "system"> <program> [env assignments...]
check() {
  local what=$1 expect=$2 prog=$3
  shift 3
  local log="$out/${what// /_}.log" rc=0
  env "$@" timeout -k 5 30 "$out/$prog" > "$log" 2>&1 < /dev/null || rc=$?
  # Every "served by" line must name the expected object. The pthreads helper lives in its own
  # file in the system package, so "system" accepts any of the system's libevent*-2.1.so.7 files.
  local wrong
  if [ "$expect" = system ]; then
    wrong=$(grep ' served by ' "$log" | grep -v " served by $SYSTEM_LIB_DIR/libevent[a-z_]*-2\.1\.so\.7" || true)
  else
    wrong=$(grep ' served by ' "$log" | grep -v " served by $expect\$" || true)
  fi
  if [ $rc -eq 0 ] && [ -z "$wrong" ] && grep -q ' served by ' "$log"; then
    echo "  ok    $what: $(tail -1 "$log")"
    passed=$((passed + 1))
  else
    echo "  FAIL  $what (exit status $rc)"
    sed 's/^/        /' "$log" | tail -15
    failed=$((failed + 1))
  fi
}

echo "preload: library under test $under_test"
# Without any help the program must use the system library; otherwise the other checks prove nothing.
check "plain run uses the system library" system which_lib_event
check "LD_PRELOAD" "$expect" which_lib_event LD_PRELOAD="$under_test"
check "LD_PRELOAD, split libraries" "$expect" which_lib_split LD_PRELOAD="$under_test"
if [ "$MODE" = rs ]; then
  for name in libevent-2.1.so.7 libevent_core-2.1.so.7 libevent_extra-2.1.so.7 libevent_pthreads-2.1.so.7; do
    if [ ! -e "$compat_dir/$name" ]; then
      echo "  note  $compat_dir/$name is missing ('make build' creates it)"
    fi
  done
fi
check "compatibility names on LD_LIBRARY_PATH" "$expect" which_lib_event LD_LIBRARY_PATH="$compat_dir"
check "compatibility names on LD_LIBRARY_PATH, split libraries" "$expect" which_lib_split LD_LIBRARY_PATH="$compat_dir"
# A real program nobody rebuilt: Debian's memcached (threaded, one event_base per worker).
log="$out/memcached.log"
skipped=0
if ! command -v memcached >/dev/null 2>&1; then
  echo "  skip  memcached under LD_PRELOAD (memcached is not installed)"
  skipped=1
elif timeout -k 5 60 python3 "$CTESTS/preload/memcached_check.py" "$under_test" > "$log" 2>&1 < /dev/null; then
  echo "  ok    memcached under LD_PRELOAD: $(tail -1 "$log")"
  passed=$((passed + 1))
else
  echo "  FAIL  memcached under LD_PRELOAD"
  sed 's/^/        /' "$log" | tail -15
  failed=$((failed + 1))
fi
echo "preload: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Our own C tests: every c-tests/unit/*.c is one program, compiled against our headers (when
# include/event2/event.h exists; upstream's installed headers otherwise), linked with the library
# under test, and run under a timeout. Exit status 0 is a pass; anything else, a timeout or a
# crash included, is a failure.
#
# Usage: c-tests/unit-tests.sh            (LIBEVENT_UNDER_TEST=system to check the tests themselves)
# Last line of output: "unit: N passed, M failed". Exit status 1 if M > 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_library

TIMEOUT=${UNIT_TIMEOUT:-30}
out="$BUILD/$MODE/unit"
mkdir -p "$out"
read -ra INCLUDES <<<"$(our_include_flags)"
read -ra LIBS <<<"$(lib_link_flags)"
echo "unit: compiling against $(headers_description), linking with the $MODE library"

passed=0
failed=0
failures=()
for src in "$CTESTS"/unit/*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  # -Werror: a warning against our headers usually means a prototype differs from upstream's.
  if ! gcc -O1 -g -Wall -Werror "${INCLUDES[@]}" -I"$CTESTS/unit" "$src" -o "$out/$name" "${LIBS[@]}" \
      > "$out/$name.build.log" 2>&1; then
    echo "  FAIL  $name (does not compile or link)"
    sed 's/^/        /' "$out/$name.build.log" | head -20
    failed=$((failed + 1)); failures+=("$name"); continue
  fi
  rc=0
  timeout -k 5 "$TIMEOUT" "$out/$name" > "$out/$name.log" 2>&1 < /dev/null || rc=$?
  if [ $rc -eq 0 ]; then
    echo "  ok    $name"
    passed=$((passed + 1))
  else
    case $rc in
      124 | 137) why="timed out after $TIMEOUT s" ;;
      *) if [ $rc -gt 128 ]; then why="killed by signal $((rc - 128))"; else why="exit status $rc"; fi ;;
    esac
    echo "  FAIL  $name ($why)"
    sed 's/^/        /' "$out/$name.log" | tail -20
    failed=$((failed + 1)); failures+=("$name")
  fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

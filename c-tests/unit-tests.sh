#!/usr/bin/env bash
# Our own C tests: every c-tests/unit/*.c is one program, compiled against our headers (when
# include/event2/event.h exists; upstream's installed headers otherwise), linked with the library
# under test (and the libraries of its "// LIBS:" line), and run under a timeout. Exit status 0
# is a pass; anything else, a timeout or a crash included, is a failure.
#
# Usage: c-tests/unit-tests.sh            (LIBEVENT_UNDER_TEST=system to check the tests themselves)
# Environment:
#   UNIT_TIMEOUT   seconds per test (default 30; 300 under valgrind)
#   UNIT_VALGRIND  1: run every test under valgrind's memcheck (valgrind_cmd in lib.sh); a memory
#                  error fails the test and its report is printed. Not part of `make test`.
# Last line of output: "unit: N passed, M failed" (", K skipped" under valgrind). Exit status 1 if
# M > 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_library

VALGRIND=$(valgrind_switch UNIT_VALGRIND)
out="$BUILD/$MODE/unit"
if [ "$VALGRIND" = 1 ]; then
  require_valgrind
  TIMEOUT=${UNIT_TIMEOUT:-300}
  out="$BUILD/$MODE-memcheck/unit"
else
  TIMEOUT=${UNIT_TIMEOUT:-30}
fi
mkdir -p "$out"
read -ra INCLUDES <<<"$(our_include_flags)"
read -ra LIBS <<<"$(lib_link_flags)"
echo "unit: compiling against $(headers_description), linking with the $MODE library$([ "$VALGRIND" = 0 ] || echo ", under valgrind memcheck")"
[ "$VALGRIND" = 0 ] || valgrind_selftest "$out"

passed=0
failed=0
skipped=0
failures=()
for src in "$CTESTS"/unit/*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  # unit/<name>.gen.sh, when there is one, generates code the test is built with (into the
  # folder it is given) and prints the compiler arguments that add it.
  extra=()
  if [ -x "$CTESTS/unit/$name.gen.sh" ]; then
    if ! gen=$("$CTESTS/unit/$name.gen.sh" "$out/$name.gen" 2> "$out/$name.gen.log"); then
      echo "  FAIL  $name (generating its code failed)"
      awk 'NR <= 20 {print "        " $0}' "$out/$name.gen.log"
      failed=$((failed + 1)); failures+=("$name"); continue
    fi
    read -ra extra <<<"$gen"
  fi
  # A "// LIBS: ..." line in the source names libraries the test links besides ours (the ssl_*
  # tests link OpenSSL's).
  read -ra test_libs <<<"$(sed -n 's|^// LIBS: ||p' "$src" | head -1)"
  # -Werror: a warning against our headers usually means a prototype differs from upstream's.
  if ! gcc -O1 -g -Wall -Werror "${INCLUDES[@]}" -I"$CTESTS/unit" "$src" "${extra[@]}" -o "$out/$name" "${LIBS[@]}" "${test_libs[@]}" \
      > "$out/$name.build.log" 2>&1; then
    echo "  FAIL  $name (does not compile or link)"
    # awk reads to the end: "| head" would kill the writer with SIGPIPE, which pipefail and -e
    # turn into the end of this script, whenever the log is long enough.
    awk 'NR <= 20 {print "        " $0}' "$out/$name.build.log"
    failed=$((failed + 1)); failures+=("$name"); continue
  fi
  rc=0
  vg=()
  [ "$VALGRIND" = 0 ] || mapfile -t vg < <(valgrind_cmd "$out/$name.vg.%p")
  timeout -k 5 "$TIMEOUT" "${vg[@]}" "$out/$name" > "$out/$name.log" 2>&1 < /dev/null || rc=$?
  vg_errors=0 vg_summary=""
  [ "$VALGRIND" = 0 ] || read -r vg_errors vg_summary < <(valgrind_collect "$out/$name.vg" "$out/$name.log")
  if [ "$vg_errors" -gt 0 ]; then
    echo "  FAIL  $name ($vg_errors valgrind errors, first: $vg_summary; exit status $rc, 99 is valgrind's)"
    awk '!/^==[0-9]*== VALGRIND-ERROR-/ && ++n <= 60 {print "        " $0}' "$out/$name.log"
    failed=$((failed + 1)); failures+=("$name")
  elif [ $rc -ne 0 ] && [ $rc -lt 124 ] && [ "$VALGRIND" = 1 ] &&
      reason=$(not_judged_reason "unit/$name") && [ -n "$reason" ]; then
    # memcheck/not-judged.txt: valgrind itself changes what this test checks. A hang (124) or a
    # crash (> 128) is never excused.
    echo "  skip  $name (no memory errors; exit status $rc not judged under valgrind: $reason)"
    skipped=$((skipped + 1))
  elif [ $rc -eq 0 ]; then
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
if [ "$VALGRIND" = 1 ]; then
  echo "unit: $passed passed, $failed failed, $skipped skipped"
else
  echo "unit: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]

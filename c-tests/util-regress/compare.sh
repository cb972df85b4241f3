#!/usr/bin/env bash
# Runs compare.c against libevent_rs and against the system's libevent and diffs the outputs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/c-tests/build/util-regress"
mkdir -p "$out"
cc -O1 -g -w "$here/compare.c" -L"$root/target/release" -Wl,-rpath,"$root/target/release" -levent_rs -o "$out/compare-rs"
cc -O1 -g -w "$here/compare.c" -levent_core -o "$out/compare-system"
"$out/compare-system" > "$out/compare-system.txt" 2>&1
"$out/compare-rs" > "$out/compare-rs.txt" 2>&1
diff -u "$out/compare-system.txt" "$out/compare-rs.txt"
echo "identical ($(wc -l < "$out/compare-rs.txt") lines)"
# The exported data object, read and replaced from a PIE executable.
cc -fPIE -pie -w "$here/memset_volatile.c" -L"$root/target/release" -Wl,-rpath,"$root/target/release" -levent_rs -o "$out/memset-volatile"
"$out/memset-volatile"

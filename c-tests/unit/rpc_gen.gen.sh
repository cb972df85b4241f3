#!/usr/bin/env bash
# The build step of rpc_gen.c: upstream's event_rpcgen.py (from Debian's source package,
# fetched by fetch-upstream.sh) turns upstream's test/regress.rpc into regress.gen.h and
# regress.gen.c in the folder $1; prints the compiler arguments that build them in.
set -euo pipefail
out=$1
tree=$("$(dirname "$0")/../fetch-upstream.sh")
mkdir -p "$out"
cp "$tree/test/regress.rpc" "$out/"
(cd "$out" && python3 "$tree/event_rpcgen.py" regress.rpc >&2)
echo "-I$out $out/regress.gen.c"

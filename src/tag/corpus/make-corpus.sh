#!/usr/bin/env bash
# Regenerates the evtag fuzz corpus in this folder with Debian's libevent (libevent-dev) and
# the rpcgen output in upstream's source tree (c-tests/fetch-upstream.sh fetches it).
# Usage: src/tag/corpus/make-corpus.sh   (from anywhere; writes the .bin files here)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
upstream=$here/../../../c-tests/upstream/libevent-2.1.12-stable
[ -f "$upstream/test/regress.gen.c" ] || { echo "no $upstream/test/regress.gen.c: run c-tests/fetch-upstream.sh" >&2; exit 1; }
[ -f /usr/include/event2/rpc.h ] || { echo "needs Debian's libevent-dev (apt-get install libevent-dev)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Against the system's headers and library only: the bytes must be upstream's.
gcc -O1 -w -I"$upstream/test" -o "$work/make-corpus" "$here/make-corpus.c" "$upstream/test/regress.gen.c" -levent
cd "$here" && "$work/make-corpus"
ls -l "$here"/*.bin

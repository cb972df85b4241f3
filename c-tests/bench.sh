#!/usr/bin/env bash
# `make bench`: libevent_rs against upstream libevent 2.1.12 and a bare epoll loop, side by side.
# Builds the benchmark programs once against the installed upstream headers, then
# c-tests/bench/run_bench.py runs each binary on both libraries (alternated) and writes
# bench-results/<full|quick>/report.md, ratios.png and raw.json. Never part of `make test`;
# it fails only when a program fails or runs on the wrong library, never on a time.
# The runner starts in a private network namespace (the bufferevent workloads use TCP on
# 127.0.0.1, the DNS ones UDP; only loopback exists there). Programs importing libevent functions our library does
# not define yet run on upstream only, with a note in the report (nm -D decides, nothing fails).
#   BENCH_QUICK=1   3 repetitions of shorter workloads (a few minutes), for development.
#   BENCH_ONLY=RE   only the workloads and studies whose name or section matches (e.g. buffers,
#                   dns, http, tls).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
MODE=rs require_library

# Upstream's file names for our library (make build creates them; a direct call may not have).
for name in libevent-2.1.so.7 libevent_core-2.1.so.7 libevent_extra-2.1.so.7 libevent_pthreads-2.1.so.7 \
    libevent_openssl-2.1.so.7; do
  [ -e "$LIB_DIR/$name" ] || ln -sf libevent_rs.so "$LIB_DIR/$name"
done

# Tools the report wants; installed when missing and we may, skipped gracefully otherwise.
apt_install() {
  [ "$(id -u)" = 0 ] || return 1
  echo "bench: installing $* with apt-get" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
}
command -v valgrind >/dev/null || apt_install valgrind ||
  echo "bench: valgrind unavailable: no instruction counts" >&2
# System calls per MiB: perf's syscall tracepoints where the kernel allows them, strace otherwise.
command -v strace >/dev/null || apt_install strace ||
  echo "bench: strace unavailable: system calls are counted with perf only, if it works" >&2
# Debian's DNS load generator for the evdns server; without it only our own client loads it.
command -v dnsperf >/dev/null || apt_install dnsperf ||
  echo "bench: dnsperf unavailable: the DNS server is loaded by c-tests/bench/dns_plain.c only" >&2
# Debian's HTTP load generator, for upstream's bench_http; without it the HTTP section keeps only
# its client, bulk and memory rows.
command -v wrk >/dev/null || apt_install wrk ||
  echo "bench: wrk unavailable: bench_http is not loaded (no HTTP server rows)" >&2
# The chart needs matplotlib; Debian's package serves the system python, which may not be first on PATH.
has_matplotlib() { "$1" -c 'import matplotlib' 2>/dev/null; }
PYTHON=python3
if ! has_matplotlib python3; then
  if has_matplotlib /usr/bin/python3 || { apt_install python3-matplotlib && has_matplotlib /usr/bin/python3; }; then
    PYTHON=/usr/bin/python3
  else
    echo "bench: matplotlib unavailable: the chart is written as SVG only" >&2
  fi
fi

out="$BUILD/bench"
mkdir -p "$out"
CFLAGS=(-O2 -g -Wall -Wextra)
SYSTEM_LIBS=(-L"$SYSTEM_LIB_DIR" -levent -levent_pthreads -lpthread)
echo "bench: compiling the programs against /usr/include (upstream's headers)"
for program in timer_churn idle_fds active_storm cross_thread signal_rate pending_rss \
    bev_bulk bev_echo evbuffer_ops bev_idle_rss dns_server dns_resolve http_bulk http_rss; do
  gcc "${CFLAGS[@]}" "$CTESTS/bench/$program.c" -o "$out/$program" "${SYSTEM_LIBS[@]}"
done
# No libevent in these: the bare epoll loop, the DNS peer both libraries share, the HTTP floors.
gcc "${CFLAGS[@]}" "$CTESTS/bench/bare_epoll.c" -o "$out/bare_epoll"
gcc "${CFLAGS[@]}" "$CTESTS/bench/dns_plain.c" -o "$out/dns_plain"
gcc "${CFLAGS[@]}" "$CTESTS/bench/http_floor.c" -o "$out/http_floor"
gcc "${CFLAGS[@]}" "$CTESTS/bench/http_client_floor.c" -o "$out/http_client_floor"
gcc "${CFLAGS[@]}" "$CTESTS/bench/http_bulk_floor.c" -o "$out/http_bulk_floor"
# The HTTP runs' driver starts the programs next to it.
install -m 755 "$CTESTS/bench/http_load.py" "$out/http_load.py"
gcc "${CFLAGS[@]}" -shared -fPIC "$CTESTS/bench/threads_on.c" -o "$out/threads_on.so" "${SYSTEM_LIBS[@]}"
# The TLS section's program also links upstream's libevent_openssl and OpenSSL.
gcc "${CFLAGS[@]}" "$CTESTS/bench/tls_bulk.c" -o "$out/tls_bulk" -L"$SYSTEM_LIB_DIR" -levent_openssl \
  "${SYSTEM_LIBS[@]}" -lssl -lcrypto

# Upstream's own benchmark programs, from Debian's source package (unchanged).
extra=()
if tree=$("$CTESTS/fetch-upstream.sh"); then
  for program in bench bench_cascade bench_http; do
    gcc -O2 -g -w "$tree/test/$program.c" -o "$out/$program" "${SYSTEM_LIBS[@]}"
  done
  # It includes an internal header of the tree (util-internal.h).
  gcc -O2 -g -w -I"$tree" -I"$tree/compat" "$tree/test/bench_httpclient.c" -o "$out/bench_httpclient" "${SYSTEM_LIBS[@]}"
else
  echo "bench: could not fetch upstream's source: test/bench.c, bench_cascade.c, bench_http.c and bench_httpclient.c are left out" >&2
  extra+=(--no-upstream-programs)
fi

[ -z "${BENCH_ONLY:-}" ] || extra+=(--only "$BENCH_ONLY")
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  extra+=(--quick)
  results="$ROOT/bench-results/quick"
else
  results="$ROOT/bench-results/full"
fi
runner=("$PYTHON" "$CTESTS/bench/run_bench.py" --bin "$out" --ours "$LIB_DIR" --out "$results" "${extra[@]}")
if private_netns; then
  in_netns "${runner[@]}"
else
  echo "bench: cannot make a private network namespace (unshare -n needs root): the TCP and UDP workloads" \
    "run on this machine's loopback interface (127.0.0.1 only)" >&2
  "${runner[@]}"
fi

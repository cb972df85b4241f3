#!/usr/bin/env bash
# Real programs on the library: upstream's samples hello-world, le-proxy, dns-example,
# http-server and http-connect and its HTTP benchmark's bench_http and bench_httpclient (built
# from Debian's source package against upstream's own headers, linked with the system libevent)
# and Debian's tmux and fstrm_capture (unmodified), each doing real work and checked on what it
# produced (c-tests/programs/*_check.py). dns-example runs in its server mode and its client
# mode, the client resolving against that server and against a responder of the check's own.
# On our library every program runs twice: with LD_PRELOAD=libevent_rs.so, and with our
# compatibility libraries (libevent*-2.1.so.7, leading to libevent_rs.so) on LD_LIBRARY_PATH, where no
# upstream code is left in the process (the check verifies that in /proc/<pid>/maps).
#
# Under LD_PRELOAD the program still links the system libevent, which silently serves every
# function we lack; so each program also gets a symbol check: every libevent function it imports
# (nm -D --undefined-only, against upstream's export list) must be defined by our library
# (nm -D --defined-only), else the check fails and lists the missing ones. Functions of upstream
# libraries libevent-rs does not replace yet (NOT_YET_OURS below) are listed as a note instead.
#
# Every run happens in its own private network namespace (loopback only; hello-world listens on
# port 9995 of every interface, dns-example on UDP port 10053, http-server and bench_http on
# 0.0.0.0, bench_httpclient connects to the fixed 127.0.0.1:8080, and dns-example's client must
# reach no nameserver but the test's), under a timeout. LIBEVENT_UNDER_TEST=system runs the same
# checks with the programs as they are (no LD_PRELOAD) on the system libevent, which checks the
# checks. Last line: "programs: N passed, M failed, K skipped"; exit status 1 if M > 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_library
export PYTHONDONTWRITEBYTECODE=1

# Upstream libraries (the first column of the export list) that libevent-rs has no part of yet:
# a program's imports from them are served by the system's file even by soname. Empty since the
# ssl work: libevent_openssl's functions are ours too, and the TLS samples use them.
NOT_YET_OURS=""

# Programs that need issue 10's evhttp: until our library has it, their failures on it are
# printed as "nyr" (not yet required) and counted as skipped. Emptied, one line, once they pass.
NOT_YET_REQUIRED=""

out="$BUILD/$MODE/programs"
mkdir -p "$out"
passed=0 failed=0 skipped=0
pass() { echo "  ok    $1"; passed=$((passed + 1)); }
# A label starts with the program's name, up to a blank or a colon.
fail() {
  if [ "$MODE" = rs ] && [[ " $NOT_YET_REQUIRED " == *" ${1%%[ :]*} "* ]]; then
    echo "  nyr   $1 (not yet required)"; skipped=$((skipped + 1))
  else
    echo "  FAIL  $1"; failed=$((failed + 1))
  fi
}
skip() { echo "  skip  $1"; skipped=$((skipped + 1)); }

if [ "$MODE" = system ]; then
  expect=system
  ways=(system)
  defining_libs=("$SYSTEM_LIB_DIR"/libevent*-2.1.so.7)
else
  expect=$(realpath "$OUR_LIB")
  ways=(LD_PRELOAD soname)
  defining_libs=("$OUR_LIB")
  for name in libevent-2.1.so.7 libevent_core-2.1.so.7 libevent_extra-2.1.so.7 libevent_pthreads-2.1.so.7 \
      libevent_openssl-2.1.so.7; do
    [ -e "$LIB_DIR/$name" ] || ln -sf libevent_rs.so "$LIB_DIR/$name"
  done
fi
echo "programs: library under test $expect"

# The check's options for one way of loading the library.
way_options() {
  case $1 in
    system) ;;
    LD_PRELOAD) echo "--env LD_PRELOAD=$expect" ;;
    soname) echo "--env LD_LIBRARY_PATH=$LIB_DIR" ;;
  esac
}

private_netns || true

# ---------------------------------------------------------------- symbol check
exports_tsv="$CTESTS/expected/libevent-2.1.12-exports.tsv"
defined="$out/defined.txt"
for lib in "${defining_libs[@]}"; do nm -D --defined-only "$lib"; done | awk '{print $NF}' | sort -u > "$defined"

# symbol_check <label> <binary>: every libevent function the binary imports is defined by the
# library under test (those of NOT_YET_OURS libraries are only listed). Sets lacking to the
# number it does not define, for run_check.
lacking=0
symbol_check() {
  local label=$1 binary=$2 imports="$out/$1.imports"
  nm -D --undefined-only "$binary" | awk '{sub(/@.*/, "", $NF); print $NF}' | sort -u |
    awk -F'\t' 'NR == FNR { if (!/^#/ && NF == 3) lib[$3] = $1; next } ($1 in lib) { print lib[$1] "\t" $1 }' \
      "$exports_tsv" - > "$imports"
  local total missing=() later=() library name
  total=$(wc -l < "$imports")
  while IFS=$'\t' read -r library name; do
    grep -qxF "$name" "$defined" && continue
    if [[ " $NOT_YET_OURS " == *" $library "* ]]; then later+=("$name"); else missing+=("$name"); fi
  done < "$imports"
  lacking=${#missing[@]}
  local note=""
  [ ${#later[@]} -eq 0 ] ||
    note="; not checked: ${#later[@]} of libevent_${NOT_YET_OURS// /\/} (${later[*]}), no part of libevent-rs yet, served by the system's file"
  if [ "$total" -eq 0 ]; then
    fail "$label: imports no libevent function at all (wrong binary?)"
  elif [ ${#missing[@]} -gt 0 ]; then
    fail "$label: the library under test lacks ${#missing[@]} of the $total libevent functions it imports: ${missing[*]}$note"
  else
    pass "$label: the library under test defines all $((total - ${#later[@]})) libevent functions it imports$note"
  fi
}

# ---------------------------------------------------------------- runs
# run_check <label> <check script> <binary>...: the check once per way, each in its own namespace
# (the first binary is the one on the library under test; the check runs any others as they are).
run_check() {
  local label=$1 script=$2 way
  shift 2
  for way in "${ways[@]}"; do
    local what="$label ($way)" log="$out/$label.$way.log" rc=0
    if [ ${#NETNS[@]} -eq 0 ]; then
      skip "$what: no private network namespace here (unshare -n needs root)"
      continue
    fi
    # shellcheck disable=SC2046  # way_options gives separate words on purpose
    timeout -k 5 120 "${NETNS[@]}" sh -c "$NETNS_SCRIPT" sh \
      python3 "$CTESTS/programs/$script" --expect "$expect" $(way_options "$way") "$@" \
      > "$log" 2>&1 < /dev/null || rc=$?
    if [ $rc -eq 0 ] && [ "$way" = LD_PRELOAD ] && [ "$lacking" -gt 0 ]; then
      # The system's library served the functions ours lacks: no proof for ours.
      fail "$what: worked, but with the system's code for the $lacking functions our library lacks: $(tail -1 "$log")"
    elif [ $rc -eq 0 ]; then
      pass "$what: $(tail -1 "$log")"
    else
      fail "$what (exit status $rc)"
      grep -v '^\s*$' "$log" | tail -15 | sed 's/^/        /'
    fi
  done
}

# ---------------------------------------------------------------- upstream's samples
if tree=$("$CTESTS/fetch-upstream.sh"); then
  # Upstream's headers with the event-config.h its build would generate, made here so the shared
  # source tree is left as fetched.
  # The tree is configured without OpenSSL; upstream's build with libssl-dev would define
  # EVENT__HAVE_OPENSSL there, without which bufferevent_ssl.h declares nothing (and the TLS
  # samples would call its functions undeclared, truncating the pointers they return).
  mkdir -p "$out/include/event2"
  { sed -f "$tree/make-event-config.sed" < "$tree/config.h"; echo "#define EVENT__HAVE_OPENSSL 1"; } \
    > "$out/include/event2/event-config.h"
  SAMPLE_FLAGS=(-O1 -g -w -I"$out/include" -I"$tree/include" -I"$tree" -I"$tree/compat" -I"$tree/sample")
  # sample <dir>/<name> <check script> <libraries and extra sources...>: builds <dir>/<name>.c of
  # upstream's tree (sample/ or test/), linked as upstream's build links it, then its symbol
  # check and its runs.
  sample() {
    local source=$1 name=${1##*/} script=$2
    shift 2
    rm -f "$out/$name"
    if gcc "${SAMPLE_FLAGS[@]}" "$tree/$source.c" -o "$out/$name" -L"$SYSTEM_LIB_DIR" "$@" \
        > "$out/$name.build.log" 2>&1; then
      symbol_check "$name" "$out/$name"
      run_check "$name" "$script" "$out/$name"
    else
      fail "$name: does not build: $(tail -3 "$out/$name.build.log")"
    fi
  }
  sample sample/hello-world hello_world_check.py -levent
  # le-proxy without -s (plain TCP both ways) and with it (TLS to the backend, an s_server);
  # https-client, evhttp over a TLS bufferevent, with its host-name check's two sources.
  # OpenSSL's headers and tool are required (install-deps.sh).
  sample sample/le-proxy le_proxy_check.py -levent_openssl -levent -lssl -lcrypto
  if [ -x "$out/le-proxy" ]; then
    run_check le-proxy-tls le_proxy_tls_check.py "$out/le-proxy"
  fi
  sample sample/https-client https_client_check.py "$tree/sample/openssl_hostname_validation.c" \
    "$tree/sample/hostcheck.c" -levent_openssl -levent -lssl -lcrypto
  sample sample/dns-example dns_example_check.py -levent
  sample sample/http-server http_server_check.py -levent
  sample sample/http-connect http_connect_check.py -levent
  # Upstream's HTTP benchmark: its evhttp server, and its client (bufferevents only).
  sample test/bench_http bench_http_check.py -levent
  sample test/bench_httpclient bench_httpclient_check.py -levent
else
  fail "upstream's samples: could not fetch Debian's libevent source package (c-tests/fetch-upstream.sh)"
fi

# ---------------------------------------------------------------- Debian programs
if tmux_bin=$(command -v tmux); then
  symbol_check tmux "$tmux_bin"
  run_check tmux tmux_check.py "$tmux_bin"
else
  skip "tmux: not installed (c-tests/install-deps.sh installs it as root)"
fi
if capture_bin=$(command -v fstrm_capture) && replay_bin=$(command -v fstrm_replay); then
  symbol_check fstrm_capture "$capture_bin"
  run_check fstrm_capture fstrm_check.py "$capture_bin" "$replay_bin"
else
  skip "fstrm_capture: fstrm-bin is not installed (c-tests/install-deps.sh installs it as root)"
fi

echo "programs: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

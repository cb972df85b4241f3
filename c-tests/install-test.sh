#!/usr/bin/env bash
# Installation as a system libevent (make install, uninstall, deb and the wrapper), checked the
# way a user meets them:
#   1. `make install DESTDIR=<stage> PREFIX=/usr/local`: exactly the expected files, the
#      pkg-config files and the wrapper pointing at the final prefix, no ldconfig; `make
#      uninstall` with the same variables leaves no file.
#   2. `make install PREFIX=<tmp>`: the compatibility libraries carry their own sonames and lead
#      to libevent_rs.so; a program built with `pkg-config --cflags --libs libevent_core
#      libevent_pthreads`, and one with `pkg-config ... libevent` using evhttp through the 1.x
#      headers, compile against the installed headers and run on the installed library; Debian's
#      tmux, unmodified, runs with only LD_LIBRARY_PATH at the prefix's libdir, with nothing of
#      upstream's in the process (the dynamic linker's resolution, LD_TRACE_LOADED_OBJECTS, and
#      the server's /proc/PID/maps); the installed wrapper, the build tree's and one reached
#      through a symbolic link run tmux as a grandchild (wrapper -> sh -> tmux client -> server)
#      on the library; `make uninstall` leaves no file in the prefix.
#   3. `make deb`: its fields and contents (only its own directory, the wrapper and its copyright
#      file; no maintainer scripts, no ld.so.conf entry), the wrapper of the unpacked package; as
#      root, dpkg -i, the wrapper from /usr/bin, the system's libevent files and the dynamic
#      linker's cache unchanged, dpkg -r, unchanged again. The package is removed on any exit.
# Last line: "install: N passed, M failed, K skipped"; exit status 1 if M > 0.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

passed=0 failed=0 skipped=0
pass() { echo "  ok    $1"; passed=$((passed + 1)); }
fail() { echo "  FAIL  $1"; failed=$((failed + 1)); }
skip() { echo "  skip  $1"; skipped=$((skipped + 1)); }
report() {
  echo "install: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
}

if [ "$MODE" = system ]; then
  skip "installation: LIBEVENT_UNDER_TEST=system, and this suite installs our library"
  report
  exit
fi
require_library

work=$(mktemp -d "${TMPDIR:-/tmp}/libevent-rs-install.XXXXXX")
deb_installed_here=0
cleanup() {
  if [ "$deb_installed_here" = 1 ]; then
    echo "install: removing the libevent-rs package this test installed"
    dpkg_retry -r libevent-rs > /dev/null 2>&1 || echo "install: dpkg -r libevent-rs failed; remove it by hand" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# make, quietly, its output in a log; prints the log's tail on failure.
run_make() {
  local log=$1
  shift
  if make --no-print-directory -C "$ROOT" "$@" > "$log" 2>&1; then return 0; fi
  tail -5 "$log" | sed 's/^/        /'
  return 1
}

PARTS=(libevent libevent_core libevent_extra libevent_pthreads libevent_openssl)
# The files `make install` must put in a prefix, relative to it (lib include bin as given).
expected_files() {
  local lib=$1 inc=$2 bin=$3 part h
  echo "$lib/libevent_rs.so"
  for part in "${PARTS[@]}"; do
    echo "$lib/$part-2.1.so.7"
    echo "$lib/$part.so"
    echo "$lib/pkgconfig/$part.pc"
  done
  for h in event.h evhttp.h evdns.h evrpc.h evutil.h; do echo "$inc/$h"; done
  for h in include/event2/*.h; do echo "$inc/event2/${h#include/event2/}"; done
  echo "$bin/libevent-rs-run"
}
files_under() { (cd "$1" && find . ! -type d | sed 's|^\./||' | sort); }
private_netns || true

# wrapper_check <label> <wrapper> <directory of libevent_rs.so>: tmux two processes below the
# wrapper, on our library only (install/tmux_via_wrapper.sh).
wrapper_check() {
  local label=$1 log="$work/wrapper.log" rc=0
  "$CTESTS/install/tmux_via_wrapper.sh" "$2" "$3" > "$log" 2>&1 || rc=$?
  case $rc in
    0) pass "$label: wrapper -> sh -> tmux -> server: $(paste -sd "\t" "$log" | sed "s/\t/; /g")" ;;
    77) skip "$label: $(tail -1 "$log")" ;;
    *) fail "$label: $(tail -1 "$log")" ;;
  esac
}

# build_and_run <name> <pkg-config modules> <headers that must be read> <include dir> <libdir>:
# install/<name>.c built with pkg-config (PKG_CONFIG_PATH set by the caller) and run with
# LD_LIBRARY_PATH=<libdir>; passes if it read those headers from <include dir> and reports
# <libdir>/libevent_rs.so serving its calls.
build_and_run() {
  local name=$1 modules=$2 headers=$3 incdir=$4 libdir=$5 flags cflags deps h wrong
  local out="$work/$name" log="$work/$name.log"
  read -ra flags <<<"$(pkg-config --cflags --libs $modules)"
  if ! gcc -O1 -g -Wall -Wextra -Werror "$CTESTS/install/$name.c" -o "$out" "${flags[@]}" > "$log" 2>&1; then
    fail "$name.c with pkg-config $modules: does not build: $(tail -3 "$log")"
    return
  fi
  read -ra cflags <<<"$(pkg-config --cflags $modules)"
  deps=$(gcc -M "${cflags[@]}" "$CTESTS/install/$name.c" | tr ' \\' '\n\n')
  for h in $headers; do
    grep -qx "$incdir/$h" <<<"$deps" || { fail "$name.c: $h was not read from $incdir"; return; }
  done
  # http.c serves and fetches on 127.0.0.1: in a private network namespace when we may.
  local -a netns=()
  [ ${#NETNS[@]} -eq 0 ] || netns=(in_netns)
  if ! "${netns[@]}" timeout -k 5 30 env LD_LIBRARY_PATH="$libdir" "$out" > "$log" 2>&1 < /dev/null; then
    fail "$name.c with pkg-config $modules: failed: $(tail -3 "$log" | tr '\n' ' ')"
    return
  fi
  wrong=$(grep ' served by ' "$log" | grep -v " served by $libdir/libevent_rs.so\$" || true)
  if [ -n "$wrong" ] || ! grep -q ' served by ' "$log"; then
    fail "$name.c: not served by $libdir/libevent_rs.so: ${wrong:-no report}"
  else
    pass "$name.c built with pkg-config --cflags --libs $modules (headers from $incdir), run: $(tail -1 "$log"); served by $libdir/libevent_rs.so"
  fi
}

# ---------------------------------------------------------------- 1. staged install
echo "install: 1. make install DESTDIR=<stage> PREFIX=/usr/local"
stage=$work/stage
if run_make "$work/stage-install.log" install DESTDIR="$stage" PREFIX=/usr/local LDCONFIG="echo RAN-LDCONFIG"; then
  want=$(expected_files usr/local/lib usr/local/include usr/local/bin | sort)
  got=$(files_under "$stage")
  if [ "$got" = "$want" ]; then
    pass "staged install: the $(wc -l <<<"$want") expected files, nothing else"
  else
    fail "staged install: files differ from the expected list: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | head -5 | tr '\n' ' ')"
  fi
  if grep -qx 'prefix=/usr/local' "$stage/usr/local/lib/pkgconfig/libevent_core.pc" &&
      grep -qx 'libdir=/usr/local/lib' "$stage/usr/local/lib/pkgconfig/libevent_core.pc" &&
      grep -qF '/../lib"' "$stage/usr/local/bin/libevent-rs-run"; then
    pass "staged install: pkg-config files and wrapper name the final prefix, not DESTDIR"
  else
    fail "staged install: libevent_core.pc or the wrapper do not point at /usr/local"
  fi
  if grep -q RAN-LDCONFIG "$work/stage-install.log"; then
    fail "staged install: ran ldconfig although DESTDIR is set"
  else
    pass "staged install: no ldconfig with DESTDIR"
  fi
  if run_make "$work/stage-uninstall.log" uninstall DESTDIR="$stage" PREFIX=/usr/local LDCONFIG="echo RAN-LDCONFIG" &&
      [ -z "$(files_under "$stage")" ] && [ ! -e "$stage/usr/local/include/event2" ]; then
    pass "staged uninstall: no file left"
  else
    fail "staged uninstall: left $(files_under "$stage" | head -5 | tr '\n' ' ')"
  fi
else
  fail "make install DESTDIR=$stage PREFIX=/usr/local failed"
fi

# ---------------------------------------------------------------- 2. install into a prefix
echo "install: 2. make install PREFIX=<tmp>"
prefix=$work/prefix
libdir=$prefix/lib
if ! run_make "$work/install.log" install PREFIX="$prefix"; then
  fail "make install PREFIX=$prefix failed"
else
  pass "make install PREFIX=$prefix"

  # Sonames: each compatibility library is its own name and leads to libevent_rs.so.
  bad=()
  [ "$(readelf -d "$libdir/libevent_rs.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" = libevent_rs.so ] ||
    bad+=("libevent_rs.so: soname")
  for part in "${PARTS[@]}"; do
    name=$part-2.1.so.7 dyn=$(readelf -d "$libdir/$part-2.1.so.7")
    grep -q "(SONAME).*\[$name\]" <<<"$dyn" || bad+=("$name: soname")
    grep -q '(NEEDED).*\[libevent_rs.so\]' <<<"$dyn" || bad+=("$name: needs no libevent_rs.so")
    grep -q '(RUNPATH).*\[\$ORIGIN\]' <<<"$dyn" || bad+=("$name: runpath")
    [ "$(readlink "$libdir/$part.so")" = libevent_rs.so ] || bad+=("$part.so: not a link to libevent_rs.so")
  done
  if [ ${#bad[@]} -eq 0 ]; then
    pass "compatibility libraries: ${#PARTS[@]} sonames *-2.1.so.7, each NEEDED libevent_rs.so, RUNPATH \$ORIGIN; development names link to libevent_rs.so"
  else
    fail "compatibility libraries: ${bad[*]}"
  fi

  if ! command -v pkg-config > /dev/null; then
    skip "pkg-config builds: pkg-config is not installed (apt-get install pkg-config)"
  else
    export PKG_CONFIG_PATH=$libdir/pkgconfig
    bad=()
    for part in "${PARTS[@]}"; do
      [ "$(pkg-config --modversion "$part")" = 2.1.12-stable ] || bad+=("$part: version")
      [ "$(pkg-config --variable=prefix "$part")" = "$prefix" ] || bad+=("$part: prefix")
    done
    if [ ${#bad[@]} -eq 0 ]; then
      pass "pkg-config: ${PARTS[*]}: version 2.1.12-stable, prefix $prefix"
    else
      fail "pkg-config: ${bad[*]}"
    fi

    build_and_run core "libevent_core libevent_pthreads" "event2/event.h event2/thread.h" "$prefix/include" "$libdir"
    build_and_run http libevent "event.h evhttp.h evdns.h evrpc.h evutil.h event2/http.h" "$prefix/include" "$libdir"
    unset PKG_CONFIG_PATH
  fi

  # Unmodified Debian binaries by soname: what the dynamic linker resolves each libevent name to.
  for program in tmux memcached fstrm_capture; do
    bin=$(command -v "$program") || { skip "$program by soname: not installed"; continue; }
    resolved=$(LD_LIBRARY_PATH=$libdir LD_TRACE_LOADED_OBJECTS=1 "$bin" 2>&1 | grep libevent || true)
    stray=$(grep -v "=> $libdir/libevent" <<<"$resolved" || true)
    if [ -n "$resolved" ] && [ -z "$stray" ]; then
      pass "$program by soname: $(awk '{print $1}' <<<"$resolved" | tr '\n' ' ')resolve to $libdir"
    else
      fail "$program by soname: ${stray:-links no libevent}"
    fi
  done
  if tmux_bin=$(command -v tmux); then
    log=$work/tmux-soname.log
    if timeout -k 5 120 python3 "$CTESTS/programs/tmux_check.py" --expect "$libdir/libevent_rs.so" \
        --env LD_LIBRARY_PATH="$libdir" "$tmux_bin" > "$log" 2>&1 < /dev/null; then
      pass "tmux with only LD_LIBRARY_PATH=$libdir, no upstream object mapped: $(tail -1 "$log")"
    else
      fail "tmux with only LD_LIBRARY_PATH=$libdir: $(tail -1 "$log")"
    fi
  else
    skip "tmux with LD_LIBRARY_PATH: tmux is not installed"
  fi

  # The wrapper: installed, reached through a symbolic link, and in the build tree.
  wrapper_check "installed wrapper" "$prefix/bin/libevent-rs-run" "$libdir"
  mkdir -p "$work/elsewhere"
  ln -s "$prefix/bin/libevent-rs-run" "$work/elsewhere/try-rs"
  env_seen=$(LD_LIBRARY_PATH=/opt/x LD_PRELOAD= "$work/elsewhere/try-rs" sh -c 'echo "$LD_LIBRARY_PATH|$LD_PRELOAD"')
  if [ "$env_seen" = "$libdir:/opt/x|$libdir/libevent_rs.so" ]; then
    pass "wrapper through a symbolic link: finds $libdir, keeps the caller's LD_LIBRARY_PATH after it"
  else
    fail "wrapper through a symbolic link: the child saw '$env_seen'"
  fi
  rc=0
  "$prefix/bin/libevent-rs-run" > /dev/null 2>&1 || rc=$?
  if [ $rc -eq 2 ]; then pass "wrapper without a program: usage, status 2"; else fail "wrapper without a program: status $rc"; fi
  wrapper_check "build-tree wrapper" "$LIB_DIR/libevent-rs-run" "$(realpath "$LIB_DIR")"

  # The prefix was a new, empty directory: after uninstall it must hold no file again.
  if run_make "$work/uninstall.log" uninstall PREFIX="$prefix" && [ -z "$(files_under "$prefix")" ]; then
    pass "make uninstall PREFIX=$prefix: no file left (directories: $(cd "$prefix" && find . -mindepth 1 -type d | sort | tr '\n' ' '))"
  else
    fail "make uninstall PREFIX=$prefix: left $(files_under "$prefix" | head -5 | tr '\n' ' ')"
  fi
fi

# ---------------------------------------------------------------- 3. the Debian package
echo "install: 3. make deb"
# dpkg waits for no one: another apt or dpkg run holding its lock is retried for a minute.
dpkg_retry() {
  local i out
  for i in $(seq 30); do
    if out=$(dpkg "$@" 2>&1); then echo "$out"; return 0; fi
    grep -qi 'lock' <<<"$out" || { echo "$out"; return 1; }
    sleep 2
  done
  echo "$out"
  return 1
}
arch=$(dpkg --print-architecture)
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
multiarch=$(cc -print-multiarch)
pkgdir=/usr/lib/${multiarch:+$multiarch/}libevent-rs
deb=$ROOT/target/deb/libevent-rs_${version}_$arch.deb
if ! run_make "$work/deb.log" deb; then
  fail "make deb failed"
elif [ ! -f "$deb" ]; then
  fail "make deb: $deb was not made"
else
  fields=$(dpkg-deb --field "$deb" Package Architecture Depends)
  if grep -qx 'Package: libevent-rs' <<<"$fields" && grep -qx "Architecture: $arch" <<<"$fields" &&
      grep -q '^Depends: .*libc6' <<<"$fields"; then
    pass "make deb: $(basename "$deb"): $(tr '\n' ';' <<<"$fields" | sed 's/;$//')"
  else
    fail "make deb: control fields: $fields"
  fi
  contents=$(dpkg-deb --contents "$deb" | awk '{print $6}' | grep -v '/$')
  outside=$(grep -v -e "^\./usr/bin/libevent-rs-run\$" -e "^\.$pkgdir/" -e '^\./usr/share/doc/libevent-rs/' <<<"$contents" || true)
  missing=()
  for f in libevent_rs.so "${PARTS[@]/%/-2.1.so.7}"; do
    grep -qx "\.$pkgdir/$f" <<<"$contents" || missing+=("$f")
  done
  control=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -v '/$' | sed 's|^\./||' | sort | tr '\n' ' ')
  if [ -z "$outside" ] && [ ${#missing[@]} -eq 0 ] && [ "$control" = "control md5sums " ]; then
    pass "deb contents: $(wc -l <<<"$contents") files, all in $pkgdir but the wrapper and copyright; control files: $control(no maintainer scripts, no ld.so.conf entry)"
  else
    fail "deb contents: outside its directory: ${outside:-none}; missing: ${missing[*]:-none}; control files: $control"
  fi
  # The unpacked package works where it is: its wrapper finds the library relative to itself.
  dpkg-deb -x "$deb" "$work/unpacked"
  wrapper_check "unpacked package's wrapper" "$work/unpacked/usr/bin/libevent-rs-run" "$work/unpacked$pkgdir"

  if [ "$(id -u)" != 0 ]; then
    skip "dpkg -i / dpkg -r: needs root"
  elif dpkg-query -W -f '${Status}' libevent-rs 2> /dev/null | grep -q 'ok installed'; then
    skip "dpkg -i / dpkg -r: libevent-rs is already installed on this machine; left alone"
  else
    # The system's libevent: every file of its packages, and the dynamic linker's view of it.
    system_state() {
      local pkgs
      pkgs=$(dpkg-query -W -f '${Package} ${Status}\n' 'libevent*' 2> /dev/null | awk '/ok installed/ && $1 != "libevent-rs" {print $1}')
      # shellcheck disable=SC2086  # one word per package
      dpkg -L $pkgs 2> /dev/null | sort -u | while read -r f; do [ -f "$f" ] && md5sum "$f"; done
      ldconfig -p | grep libevent
      ls /etc/ld.so.conf.d
    }
    system_state > "$work/system.before"
    deb_installed_here=1
    if ! dpkg_retry -i "$deb" > "$work/dpkg-i.log"; then
      fail "dpkg -i: $(tail -2 "$work/dpkg-i.log")"
    else
      system_state > "$work/system.installed"
      if cmp -s "$work/system.before" "$work/system.installed"; then
        pass "dpkg -i: the system's libevent files ($(grep -c ' /' "$work/system.before") checksums), ldconfig's cache and ld.so.conf.d unchanged"
      else
        fail "dpkg -i changed the system's libevent: $(diff "$work/system.before" "$work/system.installed" | grep '^[<>]' | head -3 | tr '\n' ' ')"
      fi
      wrapper_check "installed package's wrapper /usr/bin/libevent-rs-run" /usr/bin/libevent-rs-run "$pkgdir"
      if command -v pkg-config > /dev/null; then
        PKG_CONFIG_PATH=$pkgdir/pkgconfig build_and_run core "libevent_core libevent_pthreads" \
          "event2/event.h event2/thread.h" "$pkgdir/include" "$pkgdir"
      fi
      if dpkg_retry -r libevent-rs > "$work/dpkg-r.log"; then
        deb_installed_here=0
        system_state > "$work/system.after"
        if cmp -s "$work/system.before" "$work/system.after" && [ ! -e /usr/bin/libevent-rs-run ] && [ ! -e "$pkgdir" ]; then
          pass "dpkg -r: package gone ($pkgdir, /usr/bin/libevent-rs-run), the system's libevent unchanged"
        else
          fail "dpkg -r: the system's libevent changed, or files of the package remain"
        fi
      else
        fail "dpkg -r: $(tail -2 "$work/dpkg-r.log")"
      fi
    fi
  fi
fi

report

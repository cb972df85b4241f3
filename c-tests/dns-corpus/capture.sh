#!/usr/bin/env bash
# Regenerates the corpus of real DNS replies in src/dns/wire/corpus/ (the wire parser's tests
# and fuzz runs read it). Run by hand, as root: it installs Debian packages. Not part of
# make test; the committed files are the corpus.
#
#   sudo c-tests/dns-corpus/capture.sh [OUTDIR]
#
# What it does: installs NSD (authoritative), Unbound (a recursive resolver, stubbed to that
# NSD) and dnsmasq (local data), serves one test zone (corpus.test and 2.0.192.in-addr.arpa)
# from each, and has capture.py send each the same queries and keep the raw replies. Then
# upstream's sample/dns-example in its server mode (-T, UDP port 10053) answers a few queries,
# once on Debian's libevent and once on ours (target/release/libevent_rs.so under the name
# libevent-2.1.so.7 on LD_LIBRARY_PATH; run cargo build --release first). Everything runs inside a private network namespace that has
# only loopback, and every server listens on 127.0.0.1 only (dns-example binds 0.0.0.0, which
# in that namespace is loopback too): no query can leave the machine.
#
# Writes OUTDIR/<server>-<query>.bin (bare DNS messages; the TCP length prefix stripped) and
# OUTDIR/index.tsv (file, server and version, transport, size, flags, counts). Old .bin files
# are removed first, so the directory always holds one capture.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-$root/src/dns/wire/corpus}")
NSD_PORT=5301 UNBOUND_PORT=5302 DNSMASQ_PORT=5303 LIBEVENT_PORT=10053

if [ -z "${DNS_CORPUS_IN_NETNS:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "capture.sh: run as root (it installs packages and uses unshare -n)" >&2; exit 2; }
  [ -f "$root/target/release/libevent_rs.so" ] || { echo "capture.sh: cargo build --release first" >&2; exit 2; }
  # Debian's policy-rc.d (present in containers) keeps the packages' services from starting;
  # without it they may start on the host's port 53: they are not used, this script starts its
  # own copies.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    nsd unbound dnsmasq-base libevent-dev gcc iproute2 >&2
  # dns-example as c-tests/programs.sh builds it: upstream's sample and headers, Debian's library.
  tree=$("$root/c-tests/fetch-upstream.sh")
  build=$(mktemp -d)
  mkdir -p "$build/include/event2"
  sed -f "$tree/make-event-config.sed" < "$tree/config.h" > "$build/include/event2/event-config.h"
  gcc -O1 -w -I"$build/include" -I"$tree/include" -I"$tree" -I"$tree/compat" \
    "$tree/sample/dns-example.c" -o "$build/dns-example" -L/usr/lib/x86_64-linux-gnu -levent
  mkdir -p "$out"
  DNS_CORPUS_IN_NETNS=1 DNS_EXAMPLE="$build/dns-example" \
    exec unshare -n "$0" "$out"
fi

ip link set lo up
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# ------------------------------------------------------------------ the test zone
big_string=$(printf 'x%.0s' $(seq 200))
{
  cat <<EOF
\$ORIGIN corpus.test.
\$TTL 3600
@       IN SOA  ns1.corpus.test. hostmaster.corpus.test. 2026120101 7200 3600 1209600 300
@       IN NS   ns1
@       IN NS   ns2
ns1     IN A    127.0.0.1
ns2     IN A    127.0.0.2
www     IN A    192.0.2.1
www     IN AAAA 2001:db8::1
alias   IN CNAME alias2
alias2  IN CNAME www
mx      IN MX   10 mail1
mx      IN MX   20 mail2
mail1   IN A    192.0.2.10
mail2   IN A    192.0.2.11
txt     IN TXT  "hello world" "second string"
_sip._tcp IN SRV 10 60 5060 www
*.wild  IN A    192.0.2.99
sub     IN NS   ns.sub
ns.sub  IN A    127.0.0.3
EOF
  for i in $(seq 1 40); do echo "many    IN A    198.51.100.$i"; done
  for i in $(seq 1 30); do echo "big     IN TXT  \"$i$big_string\""; done
} > "$work/corpus.test.zone"
cat > "$work/rev.zone" <<'EOF'
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@       IN SOA  ns1.corpus.test. hostmaster.corpus.test. 2026120101 7200 3600 1209600 300
@       IN NS   ns1.corpus.test.
1       IN PTR  www.corpus.test.
EOF

# ------------------------------------------------------------------ NSD: authoritative
cat > "$work/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$work"
  database: ""
  zonelistfile: "$work/zone.list"
  xfrdfile: "$work/xfrd.state"
  xfrdir: "$work"
  pidfile: "$work/nsd.pid"
  logfile: "$work/nsd.log"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: corpus.test
  zonefile: corpus.test.zone
zone:
  name: 2.0.192.in-addr.arpa
  zonefile: rev.zone
EOF
nsd -d -c "$work/nsd.conf" &
pids+=($!)

# ------------------------------------------------------------------ Unbound: recursive, via NSD
cat > "$work/unbound.conf" <<EOF
server:
  interface: 127.0.0.1@$UNBOUND_PORT
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: "$work/unbound.pid"
  use-syslog: no
  logfile: "$work/unbound.log"
  do-daemonize: no
  do-not-query-localhost: no
  module-config: "iterator"
  qname-minimisation: no
  # Unbound answers test. and the TEST-NET reverse zone itself by default (RFC 6761, 5737).
  local-zone: "test." nodefault
  local-zone: "2.0.192.in-addr.arpa." nodefault
remote-control:
  control-enable: no
stub-zone:
  name: "corpus.test."
  stub-addr: 127.0.0.1@$NSD_PORT
stub-zone:
  name: "2.0.192.in-addr.arpa."
  stub-addr: 127.0.0.1@$NSD_PORT
EOF
unbound -d -c "$work/unbound.conf" &
pids+=($!)

# ------------------------------------------------------------------ dnsmasq: local data
for i in $(seq 1 40); do echo "198.51.100.$i many.corpus.test"; done > "$work/many.hosts"
dnsmasq_args=(
  --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --user=root --pid-file=
  --port=$DNSMASQ_PORT --listen-address=127.0.0.1 --bind-interfaces --log-facility="$work/dnsmasq.log"
  --local=/corpus.test/ --local=/2.0.192.in-addr.arpa/
  --host-record=www.corpus.test,192.0.2.1,2001:db8::1
  --cname=alias.corpus.test,alias2.corpus.test --cname=alias2.corpus.test,www.corpus.test
  --mx-host=mx.corpus.test,mail1.corpus.test,10 --mx-host=mx.corpus.test,mail2.corpus.test,20
  --host-record=mail1.corpus.test,192.0.2.10 --host-record=mail2.corpus.test,192.0.2.11
  --txt-record=txt.corpus.test,"hello world","second string"
  --srv-host=_sip._tcp.corpus.test,www.corpus.test,5060,10,60
  --address=/wild.corpus.test/192.0.2.99
  --addn-hosts="$work/many.hosts"
)
for i in $(seq 1 30); do dnsmasq_args+=(--txt-record="big.corpus.test,$i$big_string"); done
dnsmasq "${dnsmasq_args[@]}" &
pids+=($!)

# Waits until a server answers on its port (each takes well under a second to load).
wait_for() {
  for _ in $(seq 50); do
    if python3 - "$1" <<'EOF' 2>/dev/null; then return 0; fi
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.2)
s.sendto(b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x06\x00\x01", ("127.0.0.1", int(sys.argv[1])))
s.recv(512)
EOF
    sleep 0.1
  done
  echo "capture.sh: nothing answers on port $1" >&2
  return 1
}

rm -f "$out"/*.bin
index="$out/index.tsv"
printf 'file\tserver\ttransport\tsize\tflags\tcounts\n' > "$index"
capture() { # label version port set [skip,list]
  local label=$1 version=$2
  shift 2
  wait_for "$1"
  python3 "$here/capture.py" "$label" "$1" "$out" "$2" "${3:-}" |
    awk -v v="$version" 'BEGIN { FS = OFS = "\t" } { print $1, v, $2, $3, $4, $5 }' >> "$index"
}
# Unbound would follow the referral to 127.0.0.3 port 53, where nothing listens; dnsmasq has no
# delegations.
capture nsd "NSD $(nsd -v 2>&1 | awk 'NR == 1 { print $3 }')" $NSD_PORT zone
capture unbound "Unbound $(unbound -V | awk 'NR == 1 { print $2 }')" $UNBOUND_PORT zone referral
capture dnsmasq "dnsmasq $(dnsmasq -v | awk 'NR == 1 { print $3 }')" $DNSMASQ_PORT zone referral
cleanup
pids=()

# ------------------------------------------------------------------ dns-example -T: libevent's server
libevent_version=$(dpkg-query -W -f '${Version}' libevent-2.1-7)
rs_version="libevent-rs $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
for which in debian-libevent libevent-rs; do
  if [ "$which" = libevent-rs ]; then
    # Our library under the system's soname: no code of Debian's libevent is in the process.
    mkdir -p "$work/rs-lib"
    ln -sf "$root/target/release/libevent_rs.so" "$work/rs-lib/libevent-2.1.so.7"
    LD_LIBRARY_PATH="$work/rs-lib" "$DNS_EXAMPLE" -T > "$work/$which.log" 2>&1 &
    version=$rs_version
  else
    "$DNS_EXAMPLE" -T > "$work/$which.log" 2>&1 &
    version="Debian libevent $libevent_version"
  fi
  pids+=($!)
  capture "$which" "$version (sample/dns-example -T)" $LIBEVENT_PORT libevent
  if [ "$which" = libevent-rs ] && grep -q 'x86_64-linux-gnu/libevent' "/proc/${pids[0]}/maps"; then
    echo "capture.sh: Debian's libevent was loaded into the libevent-rs run" >&2
    exit 1
  fi
  cleanup
  pids=()
done
echo "capture.sh: $(($(wc -l < "$index") - 1)) replies in $out" >&2

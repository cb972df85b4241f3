#!/usr/bin/env bash
# Regenerates the HTTP corpus (src/http/parse/corpus/*.http) from real clients and servers:
# curl, wget, python requests and urllib, nginx, apache2, python's http.server and Debian's
# libevent (evhttp as client and server). As root; installs what it needs with apt. Everything
# runs in a private network namespace: nothing leaves loopback.
# Usage: src/http/parse/corpus/capture.sh [output directory]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
need=()
for pkg in curl wget nginx-light apache2 gcc libevent-dev python3-requests; do
  dpkg -s "$pkg" > /dev/null 2>&1 || need+=("$pkg")
done
python3 -c 'import requests' 2> /dev/null && need=("${need[@]/python3-requests}")
if [ -n "${need[*]// /}" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${need[*]} > /dev/null
fi
exec unshare -n sh -c 'ip link set lo up && exec python3 "$@"' sh "$here/capture.py" "${1:-$here}"

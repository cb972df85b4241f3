#!/usr/bin/env bash
# Fetch Debian's libevent 2.1.12 source package into c-tests/upstream/ (git-ignored) with a
# private apt configuration, and run its ./configure so the regress suite has its config headers.
# Idempotent: does nothing when the tree is already there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/upstream"
tree="$dest/libevent-2.1.12-stable"
if [ -f "$tree/.configured" ]; then echo "$tree"; exit 0; fi
mkdir -p "$dest"
apt_dir="$dest/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts"
sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$apt_dir/parts/debian.sources"
opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/parts"
      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
if ! ls "$dest"/libevent_2.1.12-stable.orig.tar.gz >/dev/null 2>&1; then
  apt-get "${opts[@]}" update >&2
  (cd "$dest" && apt-get "${opts[@]}" source --download-only libevent=2.1.12-stable-8 >&2)
fi
rm -rf "$tree"
tar -C "$dest" -xzf "$dest/libevent_2.1.12-stable.orig.tar.gz"
# configure only generates headers and Makefiles; it compiles nothing of the library.
(cd "$tree" && ./configure --disable-openssl --disable-samples --quiet >&2)
touch "$tree/.configured"
echo "$tree"

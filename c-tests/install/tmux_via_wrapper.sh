#!/usr/bin/env bash
# tmux_via_wrapper.sh WRAPPER LIBDIR: Debian's tmux, unmodified, started through the wrapper as a
# user would, and two processes below it: the wrapper runs sh, which starts the tmux client as
# its child (not by exec); the client forks the server, which runs a shell command in a pane; the
# server reads the pane through a bufferevent. Prints what the pane showed and the libevent
# objects the server maps. Exit status 0 if the pane showed the command's output and every
# libevent object the server maps lies in LIBDIR; 77 if tmux is not installed; else 1, with the
# reason on the last line. Used by install-test.sh and demo.sh.
set -euo pipefail
wrapper=$1 libdir=$(realpath "$2")
tmux_bin=$(command -v tmux) || { echo "tmux is not installed"; exit 77; }
home=$(mktemp -d "${TMPDIR:-/tmp}/tmux-via-wrapper.XXXXXX")
tmux=("$tmux_bin" -S "$home/socket")
cleanup() {
  "${tmux[@]}" kill-server > /dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT
unset TMUX TMUX_PANE

if ! HOME=$home TERM=xterm SHELL=/bin/sh timeout -k 5 30 "$wrapper" sh -c \
    '"$1" -S "$2" -f /dev/null new-session -d -x 80 -y 10 "$3"; exit $?' \
    sh "$tmux_bin" "$home/socket" 'printf "%s-%s\n" answer $((6 * 7)); exec sleep 60' \
    > "$home/log" 2>&1 < /dev/null; then
  echo "the tmux session did not start: $(tail -2 "$home/log" | tr '\n' ' ')"
  exit 1
fi
screen=""
for _ in $(seq 100); do
  screen=$("${tmux[@]}" capture-pane -p 2> /dev/null || true)
  grep -qx 'answer-42' <<<"$screen" && break
  sleep 0.1
done
if ! grep -qx 'answer-42' <<<"$screen"; then
  echo "the pane never showed answer-42: $(tr '\n' ' ' <<<"$screen" | head -c 200)"
  exit 1
fi
echo "pane: answer-42 (printf \$((6 * 7)) run by the pane's shell)"
pid=$("${tmux[@]}" display-message -p '#{pid}')
mapped=$(awk 'NF >= 6 {print $NF}' "/proc/$pid/maps" | grep '/[^/]*libevent[^/]*$' | sort -u || true)
[ -n "$mapped" ] || { echo "the tmux server (pid $pid) maps no libevent object"; exit 1; }
for path in $mapped; do
  if [ "$(dirname "$(realpath "$path")")" != "$libdir" ]; then
    echo "the tmux server (pid $pid) maps $path, which is not ours"
    exit 1
  fi
done
echo "server: pid $pid maps $(tr '\n' ' ' <<<"$mapped")and no other libevent"

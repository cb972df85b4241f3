#!/usr/bin/env python3
"""Debian's tmux, unmodified, on the library under test. tmux runs everything on libevent: the
server reads each pane's pseudo-terminal through a bufferevent (bufferevent_new, watermarks),
parses its output from the evbuffer, talks to its clients over a Unix socket with events and
evbuffers, and writes keys to panes with bufferevent_write.

The check starts the server in the foreground (-D, so that it is our child and always stopped
here) and a session with a shell in a pane (every tmux process, client and server, on the
library under test), types two commands into the pane with send-keys, and reads the screen
and history back with capture-pane: it passes if the arithmetic done by the shell and all 2000
numbered lines printed by seq show up, in order, and the server maps the expected library.

usage: tmux_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... TMUX"""
import os
import shutil
import subprocess
import tempfile
import time

from common import CheckFailed, check_served, main, parse_args, stop

LINES = 2000


def run():
    args = parse_args(__doc__, [("program", "the tmux binary")])
    home = tempfile.mkdtemp(prefix="tmux-check-")
    sock = os.path.join(home, "socket")
    env = dict(args.program_env, HOME=home, TERM="xterm", SHELL="/bin/sh")
    env.pop("TMUX", None)

    command = [args.program, "-S", sock, "-f", "/dev/null"]

    def tmux(*words, check=True):
        done = subprocess.run(command + list(words), env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
        if check and done.returncode != 0:
            raise CheckFailed(f"tmux {' '.join(words)}: status {done.returncode}: {done.stderr.strip()[-300:]}")
        return done.stdout

    server = subprocess.Popen(command + ["-D"], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            if server.poll() is not None or time.monotonic() > deadline:
                raise CheckFailed(f"the tmux server did not start (status {server.poll()}): "
                                  f"{server.stderr.read().decode(errors='replace')[-300:] if server.poll() is not None else 'timeout'}")
            time.sleep(0.05)
        tmux("new-session", "-d", "-s", "check", "-x", "120", "-y", "40", "/bin/sh")
        tmux("set-option", "-g", "history-limit", str(LINES * 2))
        pid = int(tmux("display-message", "-p", "-t", "check", "#{pid}").strip())
        if pid != server.pid:
            raise CheckFailed(f"the session is served by pid {pid}, not by the server started here ({server.pid})")
        def wait_for_line(text):
            # Exact lines: the typed command lines contain the text too, but not alone.
            deadline = time.monotonic() + 15
            while True:
                screen = [line.rstrip() for line in tmux("capture-pane", "-p", "-t", "check").splitlines()]
                if text in screen:
                    return
                if time.monotonic() > deadline:
                    raise CheckFailed(f"the pane never showed {text!r}; screen:\n" + "\n".join(screen[-10:]))
                time.sleep(0.1)

        # One command at a time: keys typed ahead of the shell would be echoed by the terminal
        # wherever the output stands, and the screen's layout would depend on that race.
        tmux("send-keys", "-t", "check", 'printf "%s-%s\\n" answer $((6 * 7))', "Enter")
        wait_for_line("answer-42")
        tmux("send-keys", "-t", "check", f"seq 1 {LINES}; echo end-of-seq", "Enter")
        wait_for_line("end-of-seq")
        history = [line.rstrip() for line in tmux("capture-pane", "-p", "-J", "-t", "check", "-S", "-").splitlines()]
        numbers = [line for line in history if line.isdigit()]
        if numbers != [str(i) for i in range(1, LINES + 1)]:
            expected = [str(i) for i in range(1, LINES + 1)]
            missing = [n for n in expected if n not in set(numbers)]
            odd = [line for line in history if line and not line.isdigit()][:8]
            raise CheckFailed(f"capture-pane shows {len(numbers)} numbered lines, not 1..{LINES} in order; "
                              f"missing {missing[:10]}, other lines {odd}")
        if "answer-42" not in history:
            raise CheckFailed("the shell's answer-42 line is missing from the pane")
        served = check_served(pid, args)
        tmux("kill-server")
        if server.wait(timeout=10) != 0:
            raise CheckFailed(f"the tmux server exited with status {server.returncode} after kill-server")
    finally:
        stop(server)
        shutil.rmtree(home, ignore_errors=True)
    return f"pane showed answer-42 and seq 1..{LINES} in order (capture-pane); server {served}"


if __name__ == "__main__":
    main(run)

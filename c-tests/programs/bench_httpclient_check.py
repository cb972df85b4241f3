#!/usr/bin/env python3
"""Upstream's test/bench_httpclient.c (the client of upstream's HTTP benchmark: 20 000
"GET /ref HTTP/1.0" requests, 200 connections at a time, each a socket bufferevent made with
bufferevent_socket_new that reads until end of file; a new connection starts as each one ends),
unmodified, on the library under test, against a server of this script on 127.0.0.1:8080 (the
port is fixed in the program) that answers every request with the same fixed response and
closes.

Passes if the program exited 0 having printed "<k>000 requests done" for k = 1..20 in order and
the summary "20000 requests in <s> sec. (<r> throughput)", "Each took about <l> msec latency",
"<bytes>bytes read. 0 errors." with bytes exactly 20 000 times the response's length, reported
no "Unexpected error", and the server saw 20 000 well-formed requests. Run inside a private
network namespace (the port is fixed).

usage: bench_httpclient_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... BENCH_HTTPCLIENT"""
import re
import selectors
import socket
import subprocess
import threading

from common import CheckFailed, check_served, main, parse_args

PORT = 8080  # fixed in the program
REQUESTS = 20000  # N_REQUESTS in the program
REQUEST = b"GET /ref HTTP/1.0\r\n\r\n"
BODY = bytes(i & 255 for i in range(700))
RESPONSE = (b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
            % len(BODY)) + BODY


class FixedServer(threading.Thread):
    """One thread, non-blocking sockets: reads each request head, checks it, answers, closes."""

    def __init__(self):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", PORT), backlog=1024)
        self.listener.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.answered, self.bad, self.stopping = 0, [], False
        self.start()

    def run(self):
        pending = {}  # socket -> bytes of its request so far
        while not self.stopping:
            for key, _ in self.selector.select(0.2):
                sock = key.fileobj
                if sock is self.listener:
                    try:
                        conn, _ = sock.accept()
                    except BlockingIOError:
                        continue
                    conn.setblocking(False)
                    pending[conn] = b""
                    self.selector.register(conn, selectors.EVENT_READ)
                    continue
                try:
                    data = sock.recv(4096)
                except (BlockingIOError, ConnectionError):
                    data = b""
                pending[sock] += data
                if data and b"\r\n\r\n" not in pending[sock]:
                    continue
                if pending[sock] == REQUEST:
                    # The response is far below a socket buffer: one send takes it all.
                    sock.send(RESPONSE)
                    self.answered += 1
                elif pending[sock]:
                    self.bad.append(pending[sock][:100])
                self.selector.unregister(sock)
                del pending[sock]
                sock.close()


def run():
    args = parse_args(__doc__, [("program", "the bench_httpclient binary")])
    server = FixedServer()
    try:
        proc = subprocess.Popen([args.program], env=args.program_env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        # Its first line comes after 1000 requests: the library is loaded and working by then.
        first = proc.stdout.readline()
        served = check_served(proc.pid, args) if proc.poll() is None else "exited early"
        rest, err = proc.communicate(timeout=120)
    finally:
        server.stopping = True
        server.join(10)
    out = (first + rest).decode(errors="replace")
    err = err.decode(errors="replace")
    if proc.returncode != 0 or "Unexpected error" in err:
        raise CheckFailed(f"exit status {proc.returncode}, stdout {out[-300:]!r}, stderr {err[-300:]!r}")
    progress = [line for line in out.splitlines() if line.endswith("requests done")]
    if progress != [f"{k * 1000} requests done" for k in range(1, REQUESTS // 1000 + 1)]:
        raise CheckFailed(f"progress lines {progress[:3]}...{progress[-2:]} ({len(progress)} of them)")
    summary = re.search(r"\n\n(\d+) requests in (\d+)\.(\d{6}) sec\. \(([\d.]+) throughput\)\n"
                        r"Each took about ([\d.]+) msec latency\n(\d+)bytes read\. (\d+) errors\.\n$", out)
    if not summary:
        raise CheckFailed(f"no summary in the expected form at the end of {out[-300:]!r}")
    handled, _, _, rate, latency, nbytes, errors = summary.groups()
    if int(handled) != REQUESTS or int(nbytes) != REQUESTS * len(RESPONSE) or int(errors) != 0:
        raise CheckFailed(f"summary: {handled} requests, {nbytes} bytes, {errors} errors; expected "
                          f"{REQUESTS}, {REQUESTS * len(RESPONSE)}, 0")
    if server.answered != REQUESTS or server.bad:
        raise CheckFailed(f"the server answered {server.answered} requests, {len(server.bad)} malformed "
                          f"({server.bad[:1]})")
    return (f"{REQUESTS} requests, {nbytes} bytes read ({len(RESPONSE)} per response), 0 errors, "
            f"{float(rate):.0f} requests/s against a Python server; {served}")


if __name__ == "__main__":
    main(run)

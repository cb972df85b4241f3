#!/usr/bin/env python3
"""Upstream's sample/http-connect.c (an evhttp client: a CONNECT request to a proxy, then, on
the same evhttp_connection, a GET through the tunnel it opened; the body goes to stdout),
unmodified, on the library under test, through a small CONNECT proxy of this script to an
origin server of this script, both on loopback.

The URL's host, origin.invalid, does not resolve: only the proxy knows where it is, so the
answer can only come through the tunnel. Passes if, for a 1 MiB body with a Content-Length and
for a chunked body of odd-sized chunks, the sample printed exactly the body and exited 0, the
proxy got "CONNECT origin.invalid:<port> HTTP/1.1" with the sample's Host and Connection headers
(and not its Proxy-Connection, which evhttp removes from every request), and the origin got the GET for the URL's path and query with
"Host: origin.invalid" and "Connection: close". Run inside a private network namespace.

usage: http_connect_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... HTTP_CONNECT"""
import random
import socket
import subprocess
import threading
import time

from common import CheckFailed, LoopbackServer, check_served, main, parse_args, relay

ORIGIN_HOST = "origin.invalid"
CHUNKS = (1, 15, 4096, 70000, 3)
BODIES = {
    "/big?part=1": random.Random(7).randbytes(1 << 20),
    "/chunked/file.txt": random.Random(8).randbytes(sum(CHUNKS)),
}
# The origin holds each answer until the check has looked at the sample's mapped libraries
# (the process is surely running then, its libraries loaded).
request_arrived, may_answer = threading.Event(), threading.Event()


def read_head(conn):
    """The request line and headers (up to the blank line), and whatever came after them."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise CheckFailed(f"the connection closed inside a request head: {data[:300]!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, rest


class Server(LoopbackServer):
    """Records what each request head was (or the error that ended it), and hands the rest of
    the connection to handle(conn, request line, bytes after the head)."""

    def __init__(self, handle):
        self.handle, self.seen, self.errors = handle, [], []
        super().__init__()

    def serve(self, conn):
        with conn:
            try:
                line, headers, rest = read_head(conn)
                self.seen.append((line, headers))
                self.handle(conn, line, rest)
            except (OSError, CheckFailed, KeyError) as failure:
                self.errors.append(f"{type(failure).__name__}: {failure}")


def origin_answer(conn, line, _rest):
    path = line.split(" ")[1]
    body = BODIES[path]
    request_arrived.set()
    if not may_answer.wait(30):
        raise CheckFailed("the check did not let the origin answer")
    if path.startswith("/chunked"):
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        parts, at = [], 0
        for n in CHUNKS:
            parts.append(b"%x\r\n" % n + body[at:at + n] + b"\r\n")
            at += n
        conn.sendall(head + b"".join(parts) + b"0\r\n\r\n")
    else:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


def make_proxy(origin_port):
    def tunnel(conn, line, rest):
        method, target, _ = line.split(" ")
        if method != "CONNECT" or target.rpartition(":")[0] != ORIGIN_HOST:
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        with socket.create_connection(("127.0.0.1", origin_port), timeout=30) as upstream:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            back = threading.Thread(target=relay, args=(upstream, conn), daemon=True)
            back.start()
            relay(conn, upstream)
            back.join(30)
    return tunnel


def run():
    args = parse_args(__doc__, [("program", "the http-connect binary")])
    origin = Server(origin_answer)
    proxy = Server(make_proxy(origin.port))
    results = []
    for path, body in BODIES.items():
        url = f"http://{ORIGIN_HOST}:{origin.port}{path}"
        proc = subprocess.Popen([args.program, f"http://127.0.0.1:{proxy.port}", url], env=args.program_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        request_arrived.clear()
        deadline = time.monotonic() + 30
        try:
            while not request_arrived.wait(0.05) and proc.poll() is None and time.monotonic() < deadline:
                pass
            if request_arrived.is_set():
                served = check_served(proc.pid, args)
        finally:
            may_answer.set()
        out, err = proc.communicate(timeout=60)
        may_answer.clear()
        if not request_arrived.is_set():
            raise CheckFailed(f"{url}: no request reached the origin; exit status {proc.returncode}, "
                              f"stderr {err.decode(errors='replace')[-300:]!r}")
        if proc.returncode != 0 or out != body:
            raise CheckFailed(f"{url}: exit status {proc.returncode}, printed {len(out)} bytes "
                              f"({'the' if out == body else 'not the'} {len(body)} of the body), "
                              f"stderr {err.decode(errors='replace')[-300:]!r}")
        results.append(served)
    for server in (proxy, origin):
        if server.errors:
            raise CheckFailed(f"a server of the check failed: {server.errors[0]}")
    if len(proxy.seen) != len(BODIES) or len(origin.seen) != len(BODIES):
        raise CheckFailed(f"{len(proxy.seen)} CONNECTs and {len(origin.seen)} GETs for {len(BODIES)} runs")
    for (connect, proxy_headers), (get, origin_headers), path in zip(proxy.seen, origin.seen, BODIES):
        want_connect = f"CONNECT {ORIGIN_HOST}:{origin.port} HTTP/1.1"
        # evhttp drops the Proxy-Connection header the sample adds (a hop-by-hop header).
        want = {"host": f"{ORIGIN_HOST}:{origin.port}", "connection": "keep-alive"}
        if connect != want_connect or any(proxy_headers.get(k) != v for k, v in want.items()) \
                or "proxy-connection" in proxy_headers:
            raise CheckFailed(f"the proxy got {connect!r} {proxy_headers}, expected {want_connect!r} with {want} "
                              "and no Proxy-Connection")
        want_get = f"GET {path} HTTP/1.1"
        if get != want_get or origin_headers.get("host") != ORIGIN_HOST or origin_headers.get("connection") != "close":
            raise CheckFailed(f"the origin got {get!r} {origin_headers}, expected {want_get!r} with Host "
                              f"{ORIGIN_HOST} and Connection: close")
    proxy.sock.close()
    origin.sock.close()
    return (f"through the CONNECT tunnel: {len(BODIES[next(iter(BODIES))])} bytes with a Content-Length, "
            f"{len(BODIES['/chunked/file.txt'])} bytes in {len(CHUNKS)} chunks, printed exactly; {results[0]}")


if __name__ == "__main__":
    main(run)

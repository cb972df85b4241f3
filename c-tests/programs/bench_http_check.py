#!/usr/bin/env python3
"""Upstream's test/bench_http.c (the evhttp server of upstream's HTTP benchmark: /ind answers
with its content copied into the reply buffer, /ref with the same content added by reference;
-l sets the content's length, bytes 0, 1, 2, ... 255, 0, ...; without -l the body is empty),
unmodified, on the library under test.

For each content length (none, 1 KiB, 100 KiB) the check starts the server and passes if:
its start-up lines name the length and port; /ind and /ref, with and without a query, over one
keep-alive HTTP/1.1 connection, answer "200 Everything is fine" with exactly the content and its
Content-Length; an HTTP/1.0 request gets the same body and the connection closed; an unknown
path gets evhttp's 404 page with the URI HTML-escaped, byte for byte; and 20 concurrent
keep-alive connections making 25 requests each all get the right body. Run inside a private
network namespace.

usage: bench_http_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... BENCH_HTTP"""
import http.client
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor

from common import CheckFailed, check_served, free_port, main, parse_args, recv_all, stop, wait_for_port

LENGTHS = (0, 1024, 100 * 1024)
NOT_FOUND = ("<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>"
             "<p>The requested URL {} was not found on this server.</p></body></html>\n")


def content(length):
    return bytes(i & 255 for i in range(length))


def expect(conn, path, body, what):
    conn.request("GET", path)
    response = conn.getresponse()
    data = response.read()
    if (response.status, response.reason) != (200, "Everything is fine") or data != body \
            or response.getheader("Content-Length") != str(len(body)):
        raise CheckFailed(f"{what} GET {path}: {response.status} {response.reason!r}, Content-Length "
                          f"{response.getheader('Content-Length')!r}, {len(data)} bytes "
                          f"({'right' if data == body else 'wrong'} contents, expected {len(body)})")


def keep_alive(port, body, requests, what):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        expect(conn, "/ind", body, what)
        first_socket = conn.sock  # http.client opens a new one if the server closed it
        for i in range(requests - 1):
            expect(conn, ("/ref", "/ind", "/ref?x=1", "/ind?y")[i % 4], body, what)
        if conn.sock is not first_socket:
            raise CheckFailed(f"{what}: the server closed a keep-alive connection")
    finally:
        conn.close()


def http10(port, body, what):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /ref HTTP/1.0\r\n\r\n")
        answer = recv_all(sock)  # the server must close after an HTTP/1.0 answer
    head, _, data = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200 Everything is fine\r\n") or data != body:
        raise CheckFailed(f"{what} HTTP/1.0 GET /ref: {head[:200]!r}, {len(data)} bytes of body")


def not_found(port, what):
    uri = "/missing?a='1'&b=<2>"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", uri)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    page = NOT_FOUND.format("/missing?a=&#039;1&#039;&amp;b=&lt;2&gt;").encode()
    if response.status != 404 or data != page:
        raise CheckFailed(f"{what} GET {uri}: {response.status}, {data[:300]!r}, expected 404 and {page!r}")


def run():
    args = parse_args(__doc__, [("program", "the bench_http binary")])
    mapped = None
    for length in LENGTHS:
        what = f"-l {length}" if length else "no -l"
        port = free_port()
        body = content(length)
        proc = subprocess.Popen([args.program, "-p", str(port)] + (["-l", str(length)] if length else []),
                                env=args.program_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
        try:
            wait_for_port(port, proc, "bench_http").close()
            keep_alive(port, body, 12, what)
            http10(port, body, what)
            not_found(port, what)
            with ThreadPoolExecutor(max_workers=20) as pool:
                list(pool.map(lambda _: keep_alive(port, body, 25, what), range(20)))
            mapped = check_served(proc.pid, args)
            if proc.poll() is not None:
                raise CheckFailed(f"{what}: bench_http exited with status {proc.returncode}")
        finally:
            stop(proc)  # it serves until killed
        err = proc.stderr.read().decode(errors="replace")
        banner = ["/ind - basic content (memory copy)", "/ref - basic content (reference)",
                  f"Serving {length} bytes on port {port} using epoll"]
        if err.splitlines()[:3] != banner:
            raise CheckFailed(f"{what}: it printed {err[:300]!r}, expected {banner}")
    return (f"bodies of {', '.join(map(str, LENGTHS))} bytes exact on /ind and /ref, keep-alive, HTTP/1.0, "
            f"the 404 page, 20 concurrent connections x 25 requests; {mapped}")


if __name__ == "__main__":
    main(run)

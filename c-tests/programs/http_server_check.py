#!/usr/bin/env python3
"""Upstream's sample/http-server.c (an evhttp server that serves a directory: files through
evbuffer_add_file, directories as an HTML index, 404 through evhttp_send_error, and /dump or any
request but GET printed to stdout and answered 200), unmodified, on the library under test.

The check serves a directory made here and compares every byte served with the files:
  - over one keep-alive HTTP/1.1 connection: a small text file, an empty file, a 6 MiB binary,
    a name with a space (%20 in the URI), extensions the sample maps to content types
    (case-insensitive) and one it does not, a directory index with and without the trailing
    slash (the entries, in any order, and the exact page around them), a POST to /dump and a
    HEAD (status 200, and the request line, headers and body the sample printed to stdout);
  - 404 pages for a missing file and for a path with ".." (upstream's error page, byte for byte,
    then the connection closed, as evhttp_send_error does);
  - three requests pipelined in one write, answered in order on the same connection;
  - eight concurrent connections each fetching the binary file;
  - the same sample bound to a Unix socket (-U, evhttp_bind_listener), a file fetched there;
  - SIGINT ends both cleanly.
Run inside a private network namespace (the sample binds 0.0.0.0).

usage: http_server_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... HTTP_SERVER"""
import hashlib
import http.client
import os
import random
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common import CheckFailed, check_served, free_port, main, parse_args, recv_all, stop

BIG = 6 << 20
ERROR_PAGE = ("<HTML><HEAD>\n<TITLE>{code} {reason}</TITLE>\n</HEAD><BODY>\n<H1>{reason}</H1>\n"
              "</BODY></HTML>\n")

# name in the docroot -> (contents, Content-Type the sample must send)
FILES = {
    "hello.txt": (b"Hello from the docroot.\n" * 40, "text/plain"),
    "empty.txt": (b"", "text/plain"),
    "page.HTML": (b"<!DOCTYPE html><title>x</title>\n", "text/html"),
    "picture.png": (random.Random(2).randbytes(70001), "image/png"),
    "data.bin": (random.Random(1).randbytes(BIG), "application/misc"),
    "name with space.c": (b"int main(void) { return 0; }\n", "text/plain"),
    "sub/inner.ps": (b"%!PS\nshowpage\n", "application/postscript"),
    "sub/deeper/noext": (b"no extension\n", "application/misc"),
}


def make_docroot(root):
    for name, (data, _) in FILES.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def start(args, options, what):
    """Starts the sample; returns it once it printed where it listens."""
    proc = subprocess.Popen([args.program, *options], env=args.program_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    line = proc.stdout.readline().decode(errors="replace")
    if not line.startswith("Listening on "):
        stop(proc)
        raise CheckFailed(f"{what}: expected 'Listening on ...', got {line!r}, status {proc.returncode}, "
                          f"stderr {proc.stderr.read().decode(errors='replace')[-300:]!r}")
    return proc, line.strip()


class Output:
    """The sample's stdout, collected by a thread (it prints a line per request)."""

    def __init__(self, proc):
        self.chunks, self.lock = [], threading.Lock()
        self.thread = threading.Thread(target=self.read, args=(proc.stdout,), daemon=True)
        self.thread.start()

    def read(self, pipe):
        for chunk in iter(lambda: pipe.read1(65536), b""):
            with self.lock:
                self.chunks.append(chunk)

    def text(self):
        with self.lock:
            return b"".join(self.chunks).decode(errors="replace")

    def wait_for(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                raise CheckFailed(f"the sample did not print {needle!r}; its output ends {self.text()[-400:]!r}")
            time.sleep(0.02)


def get(conn, path, method="GET", body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response, response.read()


def expect_file(conn, name):
    data, content_type = FILES[name]
    path = "/" + "/".join(part.replace(" ", "%20") for part in name.split("/"))
    response, body = get(conn, path)
    if response.status != 200 or body != data:
        raise CheckFailed(f"GET {path}: status {response.status}, {len(body)} bytes "
                          f"({'same' if body == data else 'not the'} {len(data)} bytes of the file)")
    if response.getheader("Content-Type") != content_type:
        raise CheckFailed(f"GET {path}: Content-Type {response.getheader('Content-Type')!r}, expected {content_type!r}")
    if response.getheader("Content-Length") != str(len(data)):
        raise CheckFailed(f"GET {path}: Content-Length {response.getheader('Content-Length')!r} for {len(data)} bytes")
    return len(data)


def expect_index(conn, root, path):
    """The sample's directory page: its fixed frame, one <li> per entry (readdir's order, so
    compared as a set, with . and ..)."""
    response, body = get(conn, path)
    page = body.decode()
    decoded = path.replace("%20", " ")
    head = (f"<!DOCTYPE html>\n<html>\n <head>\n  <meta charset='utf-8'>\n  <title>{decoded}</title>\n"
            f"  <base href='{path}{'' if path.endswith('/') else '/'}'>\n </head>\n <body>\n"
            f"  <h1>{decoded}</h1>\n  <ul>\n")
    tail = "</ul></body></html>\n"
    entries = [".", ".."] + os.listdir(os.path.join(root, path.strip("/")))
    wanted = sorted(f'    <li><a href="{e}">{e}</a>\n' for e in entries)
    items = page[len(head):len(page) - len(tail)] if page.startswith(head) and page.endswith(tail) else None
    got = sorted(line + "\n" for line in items.split("\n")[:-1]) if items is not None else None
    if response.status != 200 or response.getheader("Content-Type") != "text/html" or got != wanted:
        raise CheckFailed(f"GET {path}: status {response.status}, Content-Type "
                          f"{response.getheader('Content-Type')!r}, page {page[:600]!r}; expected entries {entries}")
    return len(entries)


def expect_404(port, path):
    """Upstream's error page, which closes the connection (evhttp_send_error)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        response, body = get(conn, path)
        closed = conn.sock is None  # http.client saw "Connection: close"
    finally:
        conn.close()
    page = ERROR_PAGE.format(code=404, reason="Document was not found").encode()
    if response.status != 404 or body != page or response.getheader("Content-Type") != "text/html" or not closed:
        raise CheckFailed(f"GET {path}: status {response.status}, headers {response.getheaders()}, "
                          f"body {body[:300]!r}; expected 404, text/html, Connection: close and {page!r}")


def read_response(stream, until_close=False):
    """One response from a file over a socket: (status line, body). The body has a
    Content-Length, or with until_close, may end when the server closes (as HTTP/1.0 allows)."""
    status = stream.readline()
    length = None
    while True:
        line = stream.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length is None and not until_close:
        raise CheckFailed(f"a response ({status!r}) to a pipelined request has no Content-Length")
    return status.decode().strip(), stream.read() if length is None else stream.read(length)


def pipelined(port):
    """Three requests in one write; the answers must come back in order."""
    names = ["hello.txt", "sub/inner.ps", "picture.png"]
    requests = b"".join(f"GET /{n} HTTP/1.1\r\nHost: pipelined\r\n\r\n".encode() for n in names)
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(requests)
        with sock.makefile("rb") as stream:
            for name in names:
                status, body = read_response(stream)
                if not status.startswith("HTTP/1.1 200") or body != FILES[name][0]:
                    raise CheckFailed(f"pipelined GET /{name}: {status!r}, {len(body)} bytes, "
                                      f"{'right' if body == FILES[name][0] else 'wrong'} contents")
    return len(names)


def concurrent_big(port, n=8):
    digest = hashlib.sha256(FILES["data.bin"][0]).hexdigest()

    def one(_):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            response, body = get(conn, "/data.bin")
        finally:
            conn.close()
        return response.status, hashlib.sha256(body).hexdigest()
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, range(n)))
    bad = [r for r in results if r != (200, digest)]
    if bad:
        raise CheckFailed(f"{len(bad)} of {n} concurrent GET /data.bin got something else (status {bad[0][0]})")
    return n


def dump_requests(conn, out):
    """POST /dump and HEAD /hello.txt go to the sample's dump callback: printed, answered 200."""
    body = b"field=value&other=" + b"x" * 3000
    response, answer = get(conn, "/dump", "POST", body, {"X-Check": "dump-me"})
    if response.status != 200 or answer != b"":
        raise CheckFailed(f"POST /dump: status {response.status}, body {answer[:100]!r}")
    out.wait_for(">>>\n")
    text = out.text()
    block = text[text.index("Received a POST request for /dump\n"):]
    for needle in ("Headers:\n", "  X-Check: dump-me\n", f"  Content-Length: {len(body)}\n",
                   "Input data: <<<\n" + body.decode() + ">>>\n"):
        if needle not in block:
            raise CheckFailed(f"POST /dump: the sample's output lacks {needle[:60]!r}: {block[:400]!r}")
    response, answer = get(conn, "/hello.txt", "HEAD")
    if response.status != 200 or answer != b"":
        raise CheckFailed(f"HEAD /hello.txt: status {response.status}, body {answer[:100]!r}")
    out.wait_for("Received a HEAD request for /hello.txt\n")


def unix_socket(args, root, tmp):
    """-U: evconnlistener_new_bind on a Unix socket handed to evhttp_bind_listener."""
    path = os.path.join(tmp, "http.sock")
    proc, line = start(args, ["-U", path, root], "http-server -U")
    try:
        if line != f"Listening on <{path}>":
            raise CheckFailed(f"http-server -U printed {line!r}")
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(20)
            sock.connect(path)
            sock.sendall(b"GET /sub/inner.ps HTTP/1.0\r\n\r\n")
            with sock.makefile("rb") as stream:
                status, body = read_response(stream, until_close=True)
        if status != "HTTP/1.0 200 OK":
            raise CheckFailed(f"over the Unix socket: {status!r}")
        if body != FILES["sub/inner.ps"][0]:
            raise CheckFailed(f"over the Unix socket: {len(body)} bytes, not the file")
    finally:
        status = stop(proc, sig=2)
    if status != 0:
        raise CheckFailed(f"http-server -U: exit status {status} after SIGINT")


def run():
    args = parse_args(__doc__, [("program", "the http-server binary")])
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "docroot")
        make_docroot(root)
        port = free_port()
        proc, line = start(args, ["-p", str(port), root], "http-server")
        out = Output(proc)
        try:
            if line != f"Listening on 0.0.0.0:{port}":
                raise CheckFailed(f"it printed {line!r}")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            served = expect_file(conn, "hello.txt")
            first_socket = conn.sock  # http.client opens a new one if the server closed it
            served += sum(expect_file(conn, name) for name in FILES if name != "hello.txt")
            entries = expect_index(conn, root, "/") + expect_index(conn, root, "/sub")
            entries += expect_index(conn, root, "/sub/deeper/")
            dump_requests(conn, out)
            kept_alive = conn.sock is first_socket
            conn.close()
            if not kept_alive:
                raise CheckFailed("the server closed the keep-alive connection between requests")
            expect_404(port, "/missing.txt")
            expect_404(port, "/sub/%2e%2e/hello.txt")
            n_pipelined = pipelined(port)
            n_concurrent = concurrent_big(port)
            mapped = check_served(proc.pid, args)
            if proc.poll() is not None:
                raise CheckFailed(f"it exited with status {proc.returncode}")
        finally:
            status = stop(proc, sig=2)
        err = proc.stderr.read().decode(errors="replace")
        if status != 0 or "Got 2, Terminating" not in err:
            raise CheckFailed(f"SIGINT: exit status {status}, stderr {err[-300:]!r}")
        unix_socket(args, root, tmp)
    return (f"{len(FILES)} files ({served} bytes) and 3 indexes ({entries} entries) on one keep-alive "
            f"connection, two 404s, POST /dump and HEAD printed, {n_pipelined} pipelined in order, "
            f"{n_concurrent} concurrent {BIG >> 20} MiB downloads, a Unix socket; {mapped}")


if __name__ == "__main__":
    main(run)

#!/usr/bin/env python3
"""Upstream's sample/le-proxy.c (without -s: plain TCP; an evconnlistener, two socket
bufferevents per connection relaying with evbuffer_add_buffer, watermarks for flow control, a
flush-then-close on end of file), unmodified, on the library under test, relaying to a small
loopback server started here.

Each client connection sends a length and that many pseudo-random bytes; the server answers with
the SHA-256 of what it received, a length and that many bytes of its own, then closes. The check
passes if, through the proxy, every server saw exactly what its client sent, every client got
exactly the server's answer followed by end of file, and that for six connections at once of up
to 4 MiB each way, some of them reading their answer late (so the proxy's output fills past its
512 KiB watermark and it must stop reading the other side until it drains).
Run inside a private network namespace.

usage: le_proxy_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... LE_PROXY"""
import hashlib
import random
import socket
import struct
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common import (CheckFailed, LoopbackServer, check_served, free_port, main, parse_args, recv_all,
                    recv_exactly, stop, wait_for_port)

# (request bytes, answer bytes, seconds the client waits before reading the answer)
TRANSFERS = [(1, 0, 0), (100, 14, 0), (3 << 20, 1 << 20, 0.5), (1 << 20, 4 << 20, 0.5),
             (4 << 20, 4 << 20, 0), (65536, 2 << 20, 1.0)]
HEADER = struct.Struct("!Q")


def payload(seed, size):
    return random.Random(seed).randbytes(size)


class Server(LoopbackServer):
    """The proxied-to server: one thread per connection; records the digest of every request."""

    def __init__(self):
        self.received = []  # digests of the requests, in arrival order
        self.errors = []
        self.lock = threading.Lock()
        super().__init__()

    def serve(self, conn):
        with conn:
            try:
                head = conn.recv(HEADER.size, socket.MSG_WAITALL)
                if not head:
                    return  # the probe connection: the proxy relayed its close
                (size,) = HEADER.unpack(head)
                (answer_size,) = HEADER.unpack(recv_exactly(conn, HEADER.size))
                digest = hashlib.sha256(recv_exactly(conn, size)).digest()
                with self.lock:
                    self.received.append(digest)
                conn.sendall(digest + HEADER.pack(answer_size) + payload(digest, answer_size))
            except (OSError, CheckFailed) as failure:
                with self.lock:
                    self.errors.append(str(failure))


def transfer(proxy_port, index):
    size, answer_size, delay = TRANSFERS[index]
    request = payload(index, size)
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=30) as conn:
        conn.sendall(HEADER.pack(size) + HEADER.pack(answer_size) + request)
        time.sleep(delay)
        answer = recv_all(conn)
    digest = hashlib.sha256(request).digest()
    expected = digest + HEADER.pack(answer_size) + payload(digest, answer_size)
    if answer != expected:
        raise CheckFailed(f"connection {index}: got {len(answer)} bytes back, expected {len(expected)}"
                          + ("" if len(answer) != len(expected) else ", with different contents"))
    return digest


def run():
    args = parse_args(__doc__, [("program", "the le-proxy binary")])
    server = Server()
    port = free_port()
    proc = subprocess.Popen([args.program, f"127.0.0.1:{port}", f"127.0.0.1:{server.port}"],
                            env=args.program_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, "le-proxy").close()
        with ThreadPoolExecutor(max_workers=len(TRANSFERS)) as pool:
            sent = list(pool.map(lambda i: transfer(port, i), range(len(TRANSFERS))))
        served = check_served(proc.pid, args)
        if proc.poll() is not None:
            raise CheckFailed(f"le-proxy exited with status {proc.returncode}")
    finally:
        stop(proc)
        server.sock.close()
    if server.errors:
        raise CheckFailed(f"the server side failed: {server.errors[0]}")
    if sorted(server.received) != sorted(sent):
        raise CheckFailed("the server did not receive exactly the requests the clients sent")
    up = sum(t[0] for t in TRANSFERS) / (1 << 20)
    down = sum(t[1] for t in TRANSFERS) / (1 << 20)
    return (f"{len(TRANSFERS)} concurrent connections relayed intact, {up:.1f} MiB up and "
            f"{down:.1f} MiB down, answers read late on 3; {served}")


if __name__ == "__main__":
    main(run)

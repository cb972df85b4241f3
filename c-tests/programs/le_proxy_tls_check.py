#!/usr/bin/env python3
"""Upstream's sample/le-proxy.c in its TLS mode (-s: it accepts plain TCP and relays each
connection over TLS, through a bufferevent_openssl_socket_new bufferevent in the connecting
state with BEV_OPT_DEFER_CALLBACKS, to the backend), unmodified, on the library under test, with
`openssl s_server` on loopback as the backend (a self-signed certificate made here).

Two backends, each behind an le-proxy of its own:
  - `s_server -rev`, which answers every line with the line reversed and closes on "CLOSE": one
    connection with a single line, then one with 2 MiB of lines of pseudo-random length, written
    by one thread while another starts reading the answers only after a second, so that the
    proxy's buffers pass its 512 KiB watermark in both directions and it must stop reading until
    they drain; every answer line checked;
  - `s_server -WWW` serving a 4 MiB file of pseudo-random bytes, fetched with an HTTP/1.0 GET
    read late: the response's head, then exactly the file's bytes, then end of file.
Run inside a private network namespace.

usage: le_proxy_tls_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... LE_PROXY"""
import random
import socket
import subprocess
import tempfile
import threading
import time

from common import (CheckFailed, check_served, free_port, main, make_certificate, parse_args, recv_all,
                    served_file, start_s_server, stop, wait_for_port)

LINE_CHARS = b"abcdefghijklmnopqrstuvwxyz0123456789-_"
BLOB_SIZE = 4 << 20


def lines_of(seed, total):
    """Lines (without their newline) of 1 to 900 characters, about total bytes in all; s_server
    -rev reads lines into a 16 KiB buffer, so none may be longer."""
    rnd, lines, size = random.Random(seed), [], 0
    while size < total:
        line = bytes(rnd.choice(LINE_CHARS) for _ in range(rnd.randint(1, 900)))
        lines.append(line)
        size += len(line) + 1
    return lines


def exchange(port, request, read_delay):
    """Writes request on one thread while this one reads everything until end of file, starting
    after read_delay seconds (writing everything before reading could deadlock on full buffers)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
        errors = []

        def write():
            try:
                conn.sendall(request)
            except OSError as failure:
                errors.append(failure)
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        time.sleep(read_delay)
        answer = recv_all(conn)
        writer.join(60)
    if errors:
        raise CheckFailed(f"writing {len(request)} bytes to le-proxy failed: {errors[0]}")
    return answer


def reversed_lines(port, seed, total, read_delay):
    lines = lines_of(seed, total)
    answer = exchange(port, b"".join(line + b"\n" for line in lines) + b"CLOSE\n", read_delay)
    expected = b"".join(line[::-1] + b"\n" for line in lines)
    if answer != expected:
        got = answer.split(b"\n")
        first_bad = next((i for i, (a, b) in enumerate(zip(got, expected.split(b"\n"))) if a != b), min(len(got), len(lines)))
        raise CheckFailed(f"s_server -rev through le-proxy: {len(answer)} bytes back for {len(expected)} expected, "
                          f"line {first_bad} of {len(lines)} is the first that differs")
    return len(expected)


def start_proxy(args, backend_port):
    port = free_port()
    proc = subprocess.Popen([args.program, "-s", f"127.0.0.1:{port}", f"127.0.0.1:{backend_port}"],
                            env=args.program_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    # The probe connection is relayed too: the backend sees a TLS connection opened and closed.
    wait_for_port(port, proc, "le-proxy -s").close()
    return proc, port


def run():
    args = parse_args(__doc__, [("program", "the le-proxy binary")])
    with tempfile.TemporaryDirectory(prefix="le-proxy-tls-check-") as tmp:
        cert, key = make_certificate(tmp, "backend")
        www_dir, blob = served_file(tmp, 5, BLOB_SIZE)
        servers, proxies = [], []
        try:
            for mode, cwd in (("-rev", tmp), ("-WWW", www_dir)):
                servers.append(start_s_server(mode, cert, key, cwd)[0:2])
            for _, backend_port in servers:
                proxies.append(start_proxy(args, backend_port))
            (rev_proxy, rev_port), (www_proxy, www_port) = proxies

            small = reversed_lines(rev_port, 1, 1, 0)
            big = reversed_lines(rev_port, 2, 2 << 20, 1.0)

            answer = exchange(www_port, b"GET /blob.bin HTTP/1.0\r\n\r\n", 0.5)
            head, sep, body = answer.partition(b"\r\n\r\n")
            if not sep or not head.startswith(b"HTTP/1.0 200 ok") or body != blob:
                raise CheckFailed(f"s_server -WWW through le-proxy: head {head[:80]!r}, {len(body)} bytes of body "
                                  f"for the {BLOB_SIZE} of the file{' (different contents)' if len(body) == BLOB_SIZE else ''}")
            served = check_served(rev_proxy.pid, args)
            for proc in (rev_proxy, www_proxy):
                if proc.poll() is not None:
                    raise CheckFailed(f"le-proxy exited with status {proc.returncode}")
        finally:
            for proc, _ in proxies:
                stop(proc)
            for proc, _ in servers:
                stop(proc)
    return (f"over TLS to s_server: {small} and {big} bytes of reversed lines, the bigger read 1 s late, "
            f"and a {BLOB_SIZE >> 20} MiB file, all intact; {served}")


if __name__ == "__main__":
    main(run)

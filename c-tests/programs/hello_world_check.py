#!/usr/bin/env python3
"""Upstream's sample/hello-world.c (an evconnlistener on port 9995 whose bufferevents send
"Hello, World!" and close once flushed; SIGINT ends it after a two-second loopexit), unmodified,
on the library under test. Passes if 30 connections (ten at a time) each get exactly the
greeting and then end of file, the program reports flushing each one, and SIGINT ends it cleanly.
Run inside a private network namespace: the sample listens on a fixed port of every interface.

usage: hello_world_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... HELLO_WORLD"""
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from common import CheckFailed, check_served, main, parse_args, recv_all, stop, wait_for_port

PORT = 9995  # fixed in the sample
GREETING = b"Hello, World!\n"
CONNECTIONS = 30


def greeting():
    with socket.create_connection(("127.0.0.1", PORT), timeout=10) as conn:
        return recv_all(conn)


def run():
    args = parse_args(__doc__, [("program", "the hello-world binary")])
    proc = subprocess.Popen([args.program], env=args.program_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        with wait_for_port(PORT, proc, "hello-world") as first:
            replies = [recv_all(first)]
        with ThreadPoolExecutor(max_workers=10) as pool:
            replies += pool.map(lambda _: greeting(), range(CONNECTIONS - 1))
        wrong = [r for r in replies if r != GREETING]
        if wrong:
            raise CheckFailed(f"{len(wrong)} of {CONNECTIONS} connections got something else, e.g. {wrong[0]!r}")
        served = check_served(proc.pid, args)
        started = time.monotonic()
        status = stop(proc, sig=2)  # SIGINT: the sample's own signal event ends the loop
        out = proc.stdout.read().decode(errors="replace")
        err = proc.stderr.read().decode(errors="replace")
    finally:
        stop(proc)
    flushed = out.count("flushed answer")
    if status != 0 or "Caught an interrupt signal" not in out or not out.rstrip().endswith("done"):
        raise CheckFailed(f"SIGINT did not end it cleanly: status {status}, stdout {out[-300:]!r}, stderr {err[-300:]!r}")
    if flushed != CONNECTIONS:
        raise CheckFailed(f"it reported {flushed} flushed answers for {CONNECTIONS} connections")
    return (f"{CONNECTIONS} greetings of {len(GREETING)} bytes, {flushed} flushes reported, clean exit "
            f"{time.monotonic() - started:.1f} s after SIGINT; {served}")


if __name__ == "__main__":
    main(run)

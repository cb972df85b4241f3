#!/usr/bin/env python3
"""A real, unmodified program on the library: Debian's memcached (linked against
libevent-2.1.so.7, one event_base per worker thread) started with LD_PRELOAD on a loopback port,
then driven over its text protocol. Passes if every command gets the right answer and the
process really mapped the preloaded library.

usage: memcached_check.py PRELOAD_LIBRARY"""
import os
import socket
import subprocess
import sys
import time

lib = sys.argv[1]
with socket.socket() as probe:  # a free loopback port
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
env = dict(os.environ, LD_PRELOAD=lib)
proc = subprocess.Popen(
    ["memcached", "-u", "root", "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-t", "2", "-c", "64"],
    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
try:
    deadline = time.time() + 10
    while True:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                sys.exit(f"memcached did not start: {proc.stderr.read().decode() if proc.poll() is not None else 'timeout'}")
            time.sleep(0.05)
    with conn:
        reader = conn.makefile("rb")

        def ask(line, payload=None):
            conn.sendall(line + b"\r\n" + (payload + b"\r\n" if payload is not None else b""))
            return reader.readline().rstrip(b"\r\n")

        for i in range(500):
            value = b"value-%d" % i
            assert ask(b"set key%d 0 0 %d" % (i, len(value)), value) == b"STORED", "set failed"
        for i in range(0, 500, 7):
            assert ask(b"get key%d" % i) == b"VALUE key%d 0 %d" % (i, len(b"value-%d" % i)), "get header"
            assert reader.readline().rstrip(b"\r\n") == b"value-%d" % i, "get value"
            assert reader.readline().rstrip(b"\r\n") == b"END", "get end"
        assert ask(b"incr counter 1") == b"NOT_FOUND"
        assert ask(b"set counter 0 0 1", b"5") == b"STORED"
        assert ask(b"incr counter 10") == b"15"
        conn.sendall(b"stats\r\n")
        stats = {}
        while (line := reader.readline().rstrip(b"\r\n")) != b"END":
            _, name, value = line.split(b" ", 2)
            stats[name] = value
        assert stats.get(b"libevent") == b"2.1.12-stable", stats.get(b"libevent")
        assert int(stats[b"curr_items"]) == 501, stats[b"curr_items"]
    with open(f"/proc/{proc.pid}/maps") as maps:
        assert os.path.basename(lib) in maps.read(), "the preloaded library is not mapped"
    print(f"memcached served 500 sets, 72 gets, incr and stats on {os.path.basename(lib)}")
finally:
    proc.terminate()
    proc.wait(timeout=10)
